"""Mission quirks: each a small named function documented with the products it hits (pdr's lesson).

The normalizer stays generic and asks these modules only where a mission departs from the standard.
"""
