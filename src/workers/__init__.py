"""arq worker jobs: small coroutines that take ids, idempotent, retried with Retry(defer=...)."""
