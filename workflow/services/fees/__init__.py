"""Fees and payments (issue 21): the amount due, exemptions, payments and refunds, the
hand-over check, and the reports of what was collected."""
