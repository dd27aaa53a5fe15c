pub mod audit;
pub mod plan;
pub mod protect;
pub use plan::*;
