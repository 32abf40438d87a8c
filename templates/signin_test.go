package templates

import (
	"strings"
	"testing"
)

// The sign-in link goes in the HTML only as a web address; without minutes, none are spoken of.
func TestSignInLink(t *testing.T) {
	s := mustDefault(t)
	for _, loc := range Locales() {
		d := Sample(SignInLink)
		d.Link = `javascript:alert(1)//"><script>x</script>`
		d.LinkMinutes = 0
		r, err := s.Render(SignInLink, loc, d)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r.HTML, "<script") || strings.Contains(r.HTML, `href="javascript`) || !strings.Contains(r.HTML, `href="#ZgotmplZ"`) {
			t.Errorf("%s: HTML holds a link that is no web address:\n%s", loc, r.HTML)
		}
		if strings.Contains(r.Text+r.HTML, "minut") {
			t.Errorf("%s: minutes spoken of without LinkMinutes:\n%s", loc, r.Text)
		}
		if r.Subject == "" || strings.Contains(r.Subject, "[#") {
			t.Errorf("%s: subject %q", loc, r.Subject)
		}
	}
}
