package notify

import (
	"time"

	"github.com/postdesk/postdesk/filelink"
	"github.com/postdesk/postdesk/mailer/compose"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// A customer's files in the agents' copies. A mail-only agent must be able to open what the
// customer sent: their copy of a message carries its files attached, in the message's order, each
// while the files attached so far and it come to at most the property's AttachLimit; every other
// file is a signed link (filelink) to <web_url>/files/<token>, working for FileLinkTTL, that
// serve answers without a session. A copy that would still be larger than MaxMailBytes with its
// files links them all: no mail is made that a relay would refuse. Without a web address (no
// HTTP and no web_url) a file not attached is only named.

// DefaultMaxMailBytes is Config.MaxMailBytes when it is 0: 25 MiB, what postdesk accepts in.
const DefaultMaxMailBytes = 25 << 20

// showsMessage reports whether an agent's mail of kind shows the change's message (and so its
// files).
func showsMessage(kind string) bool {
	switch kind {
	case templates.NewTicket, templates.FollowUp, templates.CustomerReply, templates.Reopened, templates.AgentCopy:
		return true
	}
	return false
}

// agentFiles splits the files of an agent's copy into those attached and the list the copy
// shows, with a link for each file not attached; linkAll attaches none.
func (b *batch) agentFiles(p tickets.Property, atts []tickets.Attachment, linkAll bool) ([]compose.File, []templates.File) {
	var files []compose.File
	var list []templates.File
	var total int64
	expires := b.n.store.Now().Add(b.n.fileTTL).Truncate(time.Second)
	for _, a := range atts {
		f := templates.File{Name: a.Filename, Size: a.Size}
		if !linkAll && total+a.Size <= p.AttachLimit {
			total += a.Size
			files = append(files, compose.File{Filename: a.Filename, ContentType: a.ContentType, Data: a.Data})
		} else if b.n.webURL != "" {
			tok := filelink.Sign(b.n.secret, filelink.Claims{AttachmentID: a.ID, PropertyID: p.ID, Expires: expires})
			f.URL, f.Expires = filelink.URL(b.n.webURL, tok), expires
		}
		list = append(list, f)
	}
	return files, list
}
