"""The api's HTTP machinery: the middleware (request ids, metrics, errors, auth, rate
limits), request decoding, problem+json errors, route declarations and the OpenAPI
document and docs page built from them, SSE, and the typed AppKeys. Nothing here knows
a domain; the domain modules (services/api/*.py) and the routes build on it."""
