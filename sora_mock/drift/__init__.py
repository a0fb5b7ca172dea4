"""The drift check and the record-proxy (CONTRACT I): where the mock no longer agrees with the
live provider, said without spending the user's credits unless they allow it."""
