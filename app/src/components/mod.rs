pub mod layout;
pub mod service_bits;
