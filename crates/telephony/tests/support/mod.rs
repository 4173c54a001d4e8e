pub mod sipp;
