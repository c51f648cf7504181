"""Mission quirks of product data: each a small named function, selected from the label's product name or
keywords, documented with the products it hits and where the quirk is catalogued (pdr's ``formats/``).

The decoders stay generic and ask these modules only where a mission's products depart from their labels.
"""
