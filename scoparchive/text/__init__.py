"""Pure text helpers of the page objects: whitespace, dates, department codes, contacts."""
