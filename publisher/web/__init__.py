"""`publisher serve`: the pages plugins register, on Starlette and uvicorn.

Nothing here is imported by other commands except `publisher.web.core`, which
registers the core's own pages and loads Starlette only when they are served.
"""
