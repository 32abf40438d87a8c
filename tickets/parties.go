package tickets

import "strings"

// Parties is whom an agent's reply or note on the ticket is copied to: every party concerned
// except its sender — the agents involved in the ticket (who replied, or are assigned) and its
// audience (the assignee; else the members of its department; else those of the property's
// default department; else all the property's agents), each once. The sender is the acting agent
// and, for a mail, the agent whose address is in its From.
func (mc MailContext) Parties() []Agent {
	var out []Agent
	seen := map[int64]bool{}
	for _, a := range append(append([]Agent(nil), mc.Involved...), mc.Audience...) {
		if seen[a.ID] || mc.SentBy(a) {
			continue
		}
		seen[a.ID] = true
		out = append(out, a)
	}
	return out
}

// SentBy reports whether a is who acted, or who wrote the message that caused the change.
func (mc MailContext) SentBy(a Agent) bool {
	if mc.Actor != nil && a.ID == mc.Actor.ID {
		return true
	}
	return mc.Message != nil && strings.EqualFold(mc.Message.From, a.Email)
}
