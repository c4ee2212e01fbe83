//! Whole-file consistency check.
