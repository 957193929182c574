"""Leads (S24): intake from forms, e-mail and calls, distribution among managers by rules or by hand, qualification.

access.py says who sees and changes which leads, selectors.py reads them for pages and the API, services.py
holds every write (intake, distribution, assignment, qualification, rejection, rules).
"""
