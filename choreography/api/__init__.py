"""The JSON API, mounted under /api/ (urls.py here). One module per resource; one view per URL, one
method per operation, each with its own small input and output serializers; the work is done by the
services (writes) and the selectors (reads), as for the pages.

Access: token (`Authorization: Token <key>`) or the site's session. A row that is not the caller's
answers 404, whoever asks (staff included: their back door is the admin, not the API).
Domain errors (ChoreographyError) answer 400 {"error": message}; invalid input answers 400
{"error": first problem, "fields": {field: [problems]}} (errors.py).
"""
