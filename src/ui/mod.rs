pub mod confirm;
pub mod progress;
pub mod table;
