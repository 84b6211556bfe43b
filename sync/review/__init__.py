"""The officers' review workflow: appraisal, nomination upward, and the rules at nomination.

Everything here is pure: it takes the review values read back from the officers' sheets as plain
data (whatever the writer, local workbook or Google spreadsheet) and returns what to write, the
review codes, and the audit entries. Writers only read cells and write rows.
"""
