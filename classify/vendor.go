package classify

import (
	"encoding/json"
	"regexp"
	"strings"
)

// Amazon SES can deliver bounce, complaint and delivery notifications as
// Amazon SNS e-mail notifications: a JSON document in a text/plain body
// from no-reply@sns.amazonaws.com. The JSON names the kind outright.

type sesRecipient struct {
	EmailAddress   string `json:"emailAddress"`
	Action         string `json:"action"`
	Status         string `json:"status"`
	DiagnosticCode string `json:"diagnosticCode"`
}

type sesNotification struct {
	NotificationType string `json:"notificationType"`
	Bounce           struct {
		BounceType        string         `json:"bounceType"`
		BouncedRecipients []sesRecipient `json:"bouncedRecipients"`
	} `json:"bounce"`
	Mail struct {
		MessageID string `json:"messageId"`
		Headers   []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"headers"`
	} `json:"mail"`
}

func classifyVendorJSON(m *message) (Result, bool) {
	if !strings.HasSuffix(m.from, "@sns.amazonaws.com") && !strings.EqualFold(m.subject, "AWS Notification Message") {
		return Result{}, false
	}
	text := reportText(m.root())
	start := strings.IndexByte(text, '{')
	end := strings.LastIndexByte(text, '}')
	if start < 0 || end <= start {
		return Result{}, false
	}
	n, ok := decodeSES(text[start : end+1])
	if !ok {
		return Result{}, false
	}
	id := ""
	for _, h := range n.Mail.Headers {
		if strings.EqualFold(h.Name, "message-id") {
			id = msgID(h.Value)
		}
	}
	if id == "" {
		id = n.Mail.MessageID
	}
	res := Result{Reason: "Amazon SES notification: " + n.NotificationType, OriginalMessageID: id}
	switch strings.ToLower(n.NotificationType) {
	case "bounce":
		res.Kind = Bounce
		for _, r := range n.Bounce.BouncedRecipients {
			d := dsnRecipient{final: r.EmailAddress, action: r.Action, status: r.Status, diag: r.DiagnosticCode}
			rc := d.toRecipient()
			if r.Status == "" && d.diag == "" {
				rc.Hard = strings.EqualFold(n.Bounce.BounceType, "permanent")
			}
			res.Recipients = append(res.Recipients, rc)
		}
	case "complaint":
		res.Kind = FeedbackReport
	case "delivery":
		res.Kind = DeliverySuccess
	default:
		return Result{}, false
	}
	return res, true
}

// decodeSES reads the SES document, either bare or inside the SNS
// envelope's "Message" string. E-mail transport folds long lines ("!\n ")
// and sometimes damages them; then the fields are picked out one by one.
func decodeSES(doc string) (sesNotification, bool) {
	doc = strings.NewReplacer("!\r\n ", "", "!\n ", "").Replace(doc)
	var n sesNotification
	if json.Unmarshal([]byte(doc), &n) == nil && n.NotificationType != "" {
		return n, true
	}
	var env struct{ Message string }
	if json.Unmarshal([]byte(doc), &env) == nil && env.Message != "" {
		if json.Unmarshal([]byte(env.Message), &n) == nil && n.NotificationType != "" {
			return n, true
		}
	}
	return sesFields(strings.ReplaceAll(doc, `\"`, `"`))
}

var (
	reSESType      = regexp.MustCompile(`"notificationType"\s*:\s*"(\w+)"`)
	reSESRecipient = regexp.MustCompile(`"emailAddress"\s*:\s*"([^"]+)"(?:\s*,\s*"action"\s*:\s*"(\w*)")?(?:\s*,\s*"status"\s*:\s*"([\d.]*)")?(?:\s*,\s*"diagnosticCode"\s*:\s*"([^"]*)")?`)
	reSESBounceTy  = regexp.MustCompile(`"bounceType"\s*:\s*"(\w+)"`)
	reSESMessageID = regexp.MustCompile(`"messageId"\s*:\s*"([^"]+)"`)
)

// sesFields extracts the notification fields from a damaged document.
func sesFields(doc string) (sesNotification, bool) {
	var n sesNotification
	t := reSESType.FindStringSubmatch(doc)
	if t == nil {
		return n, false
	}
	n.NotificationType = t[1]
	if bt := reSESBounceTy.FindStringSubmatch(doc); bt != nil {
		n.Bounce.BounceType = bt[1]
	}
	// The first messageId after "mail" is the SES id of the original.
	if i := strings.Index(doc, `"mail"`); i >= 0 {
		if id := reSESMessageID.FindStringSubmatch(doc[i:]); id != nil {
			n.Mail.MessageID = id[1]
		}
	}
	for _, r := range reSESRecipient.FindAllStringSubmatch(doc, 100) {
		n.Bounce.BouncedRecipients = append(n.Bounce.BouncedRecipients, sesRecipient{r[1], r[2], r[3], r[4]})
	}
	return n, true
}
