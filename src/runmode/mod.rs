pub mod images;
pub mod recreate;
pub mod restart_check;
pub mod specs;
