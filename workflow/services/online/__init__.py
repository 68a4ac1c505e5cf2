"""Online submission by applicants (issue 19): confirmation codes, submissions, the private link."""
