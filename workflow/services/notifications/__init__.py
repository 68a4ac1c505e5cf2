"""Notifications: the transactional outbox relay, the notices to the applicant it carries
(mail, SMS) and the staff's in-app inbox."""
