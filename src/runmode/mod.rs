//! Run mode: containers started with `docker run` handled through the Engine API alone.
//! Recreating a container from its inspect spec, the saved spec history, image
//! retention that keeps rollback points, and the check that a started container runs,
//! is healthy and stays up.

pub mod images;
pub mod recreate;
pub mod restart_check;
pub mod specs;
