"""The web pages under /ui/: server-rendered, served from the package (no CDN, no build
step), acting through the same service functions as the API, as the signed-in key. The
router is assembled in routes.py."""
