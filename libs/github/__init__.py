"""GitHub: the REST API through gidgethub, OAuth web flow, webhook signatures, safe tarballs.

GITHUB_API_URL and GITHUB_OAUTH_URL point everything at GitHub Enterprise or a test fake.
"""
