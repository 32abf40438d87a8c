package main

import (
	"net/http"
	"strings"

	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/filelink"
	"github.com/postdesk/postdesk/rating"
)

// webURL is where agents reach the inbox: web_url, else the HTTP listen address.
func webURL(cfg *config.Config, addr string) string {
	if cfg.WebURL != "" {
		return strings.TrimRight(cfg.WebURL, "/")
	}
	return "http://" + addr
}

// site serves the API under /api/, /healthz and /metrics, the signed links to files under
// /files/ (no session: download), the customers' rating pages under /rate/ (no session:
// rating), and the web inbox everywhere else.
func site(apiHandler, webHandler, filesHandler, rateHandler http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", apiHandler)
	mux.Handle(filelink.Path, filesHandler)
	mux.Handle(rating.Path, rateHandler)
	mux.Handle("/healthz", apiHandler)
	mux.Handle("/metrics", apiHandler)
	mux.Handle("/", webHandler)
	return mux
}
