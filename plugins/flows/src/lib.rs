//! Contact flows domain.
