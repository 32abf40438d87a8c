package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/postdesk/postdesk/tickets"
)

// call is who is calling, on which property: what a token stands for.
type call struct {
	prop  tickets.Property
	agent tickets.Agent
}

type callKey struct{}

// agentHandler is an endpoint for agents: it returns its error, which is written as JSON.
type agentHandler func(w http.ResponseWriter, r *http.Request, c *call) error

// agent adapts an agent endpoint to net/http; authorize has put the call in the context.
func (s *Server) agent(h agentHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Context().Value(callKey{}).(*call)
		if c == nil {
			s.writeError(w, r, apiErr(http.StatusUnauthorized, codeUnauthorized, "", "an API token is required"))
			return
		}
		if err := h(w, r, c); err != nil {
			s.writeError(w, r, err)
		}
	}
}

// rank orders roles: support < manager < admin < owner; -1 for anything else.
func rank(role string) int { return tickets.RoleRank(role) }

// authorize checks the bearer token, that it belongs to the property of the path, and that the
// agent's role on it is at least minRole. A token of another property gets 404, exactly like a
// property that does not exist: a token never learns what other properties there are.
func (s *Server) authorize(minRole string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
		token = strings.TrimSpace(token)
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			s.writeError(w, r, apiErr(http.StatusUnauthorized, codeUnauthorized, "", "send an API token: Authorization: Bearer <token> (postdesk agent token)"))
			return
		}
		p, a, err := s.store.Authenticate(r.Context(), token)
		if errors.Is(err, tickets.ErrNotFound) || errors.Is(err, tickets.ErrInvalid) {
			s.writeError(w, r, apiErr(http.StatusUnauthorized, codeUnauthorized, "", "the API token is not valid (revoked, or never issued)"))
			return
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if !strings.EqualFold(p.Slug, r.PathValue("slug")) {
			s.writeError(w, r, apiErr(http.StatusNotFound, codeNotFound, "", "not found"))
			return
		}
		if rank(a.Role) < rank(minRole) {
			s.writeError(w, r, apiErr(http.StatusForbidden, codeForbidden, "", "this needs the %s role or above; you are %s", minRole, a.Role))
			return
		}
		ctx := context.WithValue(r.Context(), callKey{}, &call{prop: p, agent: a})
		next(w, r.WithContext(ctx))
	}
}

// actor is how the event log names the agent.
func (c *call) actor() tickets.Actor { return tickets.AgentActor(c.agent) }
