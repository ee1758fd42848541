"""The survey import: a workbook read, checked against the domain's rules and written all-or-nothing."""
