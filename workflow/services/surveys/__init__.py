"""Satisfaction surveys (khảo sát SIPAS): questionnaires and links, invitations and the
reminder, answers, and the SIPAS report."""
