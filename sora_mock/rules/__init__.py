"""The provider's request rules, one module per route family: pure functions, no HTTP, no state.

`common` holds what both create routes share (data URLs, http(s) URLs, integer-or-digits
normalization); `sora_video` is A6.
"""
