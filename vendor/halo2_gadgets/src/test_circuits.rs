pub(crate) mod test_utils;
