//! Phone numbers domain.
