package main

import (
	"net/http"
	"strings"

	"github.com/postdesk/postdesk/config"
)

// webURL is where agents reach the inbox: web_url, else the HTTP listen address.
func webURL(cfg *config.Config, addr string) string {
	if cfg.WebURL != "" {
		return strings.TrimRight(cfg.WebURL, "/")
	}
	return "http://" + addr
}

// site serves the API under /api/, /healthz and /metrics, and the web inbox everywhere else.
func site(apiHandler, webHandler http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", apiHandler)
	mux.Handle("/healthz", apiHandler)
	mux.Handle("/metrics", apiHandler)
	mux.Handle("/", webHandler)
	return mux
}
