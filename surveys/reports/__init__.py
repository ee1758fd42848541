"""Reports: rates (`rates`), deprivation and breakdowns (`breakdowns`), flows (`flows`), the poverty map (`maps`), the
official layouts (`official_data`, `official_forms`, `official_workbook`), the what-if simulation (`simulation`), the
tables every export builds (`tables`) and the household export jobs (`export_jobs`). Pages: `views`, `views_export`,
`views_simulation`; `urls` (which also holds the import pages of `surveys.imports`, in the "reports" namespace)."""
