package templates

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// The lines a command-error mail lists (Data.Errors) and the accepted commands (Data.Commands)
// are written in English where they are found (mailcmd, tickets, intake): the ticket's log keeps
// them so. Render translates them into the locale of the mail with this catalog; a line it does
// not know is shown as is.

// notice is one English line form: re matches it whole; tr renders the captures (m[1]...) per
// language. A capture named in sub is itself a notice, translated first.
type notice struct {
	re  *regexp.Regexp
	sub []int
	tr  map[string]string // language → fmt format of the captures, in order, as %[1]s, %[2]s, ...
}

// quoted matches a Go-quoted string, the way the producers quote a command line (%q).
const quoted = `("(?:[^"\\]|\\.)*")`

func noticeForm(re string, sub []int, fr, es, it string) notice {
	return notice{re: regexp.MustCompile(`^` + re + `$`), sub: sub, tr: map[string]string{"fr": fr, "es": es, "it": it}}
}

var notices = []notice{
	// mailcmd
	noticeForm(`more than (\d+) command lines`, nil,
		"plus de %[1]s lignes de commandes",
		"más de %[1]s líneas de comandos",
		"più di %[1]s righe di comandi"),
	noticeForm(quoted+`: cannot be read: write the command alone on its line, then a space and its value`, nil,
		"%[1]s : illisible : écrivez la commande seule sur sa ligne, puis une espace et sa valeur",
		"%[1]s: no se puede leer: escriba el comando solo en su línea, luego un espacio y su valor",
		"%[1]s: illeggibile: scrivete il comando da solo sulla sua riga, poi uno spazio e il suo valore"),
	noticeForm(quoted+`: #(\S+) takes no value`, nil,
		"%[1]s : #%[2]s ne prend pas de valeur",
		"%[1]s: #%[2]s no admite ningún valor",
		"%[1]s: #%[2]s non accetta valori"),
	noticeForm(quoted+`: say to whom: an agent's email, a department, or me`, nil,
		"%[1]s : dites à qui : l'adresse e-mail d'un agent, un service, ou me (moi)",
		"%[1]s: diga a quién: el correo de un agente, un departamento, o me (yo)",
		"%[1]s: dite a chi: l'e-mail di un agente, un reparto, o me (io)"),
	noticeForm(quoted+`: the priority is one of (.+)`, nil,
		"%[1]s : la priorité est l'une de %[2]s",
		"%[1]s: la prioridad es una de %[2]s",
		"%[1]s: la priorità è una tra %[2]s"),
	noticeForm(quoted+`: a tag is one word of letters, digits or \. _ : / - \(at most (\d+) bytes\)`, nil,
		"%[1]s : une étiquette est un mot de lettres, chiffres ou . _ : / - (%[2]s octets au plus)",
		"%[1]s: una etiqueta es una palabra de letras, cifras o . _ : / - (%[2]s bytes como máximo)",
		"%[1]s: un'etichetta è una parola di lettere, cifre o . _ : / - (al massimo %[2]s byte)"),
	noticeForm(quoted+`: say until when: 2h, 3d or YYYY-MM-DD`, nil,
		"%[1]s : dites jusqu'à quand : 2h, 3d ou AAAA-MM-JJ",
		"%[1]s: diga hasta cuándo: 2h, 3d o AAAA-MM-DD",
		"%[1]s: dite fino a quando: 2h, 3d o AAAA-MM-GG"),
	noticeForm(quoted+`: snooze for 90m, 2h, 3d or 1w, or until YYYY-MM-DD`, nil,
		"%[1]s : mettez en attente pour 90m, 2h, 3d ou 1w, ou jusqu'au AAAA-MM-JJ",
		"%[1]s: posponga 90m, 2h, 3d o 1w, o hasta AAAA-MM-DD",
		"%[1]s: sospendete per 90m, 2h, 3d o 1w, o fino al AAAA-MM-GG"),
	noticeForm(quoted+`: (.+) is not in the future`, nil,
		"%[1]s : %[2]s n'est pas dans le futur",
		"%[1]s: %[2]s no está en el futuro",
		"%[1]s: %[2]s non è nel futuro"),
	noticeForm(quoted+`: snooze at most a year ahead`, nil,
		"%[1]s : la mise en attente ne dépasse pas un an",
		"%[1]s: se pospone como máximo un año",
		"%[1]s: si sospende al massimo per un anno"),
	noticeForm(quoted+`: give the number of the ticket to merge into this one`, nil,
		"%[1]s : donnez le numéro du ticket à fusionner dans celui-ci",
		"%[1]s: indique el número del ticket que se fusiona con este",
		"%[1]s: indicate il numero del ticket da unire a questo"),
	noticeForm(quoted+`: a saved reply needs a name`, nil,
		"%[1]s : donnez le nom d'une réponse enregistrée",
		"%[1]s: indique el nombre de una respuesta guardada",
		"%[1]s: indicate il nome di una risposta salvata"),
	noticeForm(quoted+`: `+quoted+` is not a saved reply's name: one word of letters, digits, - or _ \(at most (\d+) bytes\)`, nil,
		"%[1]s : %[2]s n'est pas le nom d'une réponse enregistrée : un mot de lettres, chiffres, - ou _ (%[3]s octets au plus)",
		"%[1]s: %[2]s no es el nombre de una respuesta guardada: una palabra de letras, cifras, - o _ (%[3]s bytes como máximo)",
		"%[1]s: %[2]s non è il nome di una risposta salvata: una parola di lettere, cifre, - o _ (al massimo %[3]s byte)"),
	noticeForm(quoted+`: unknown command #(\S+)`, nil,
		"%[1]s : commande #%[2]s inconnue",
		"%[1]s: comando #%[2]s desconocido",
		"%[1]s: comando #%[2]s sconosciuto"),
	// tickets
	noticeForm(quoted+`: no agent or department `+quoted+` on this property`, nil,
		"%[1]s : aucun agent ni service %[2]s ici",
		"%[1]s: ningún agente ni departamento %[2]s aquí",
		"%[1]s: nessun agente né reparto %[2]s qui"),
	noticeForm(quoted+`: no reply of yours is held on this ticket \(sent already, or never held\)`, nil,
		"%[1]s : aucune réponse de votre part n'est retenue sur ce ticket (déjà envoyée, ou jamais retenue)",
		"%[1]s: ninguna respuesta suya está retenida en este ticket (ya enviada, o nunca retenida)",
		"%[1]s: nessuna vostra risposta è trattenuta su questo ticket (già inviata, o mai trattenuta)"),
	noticeForm(quoted+`: no ticket #(\S+) on this property`, nil,
		"%[1]s : aucun ticket n°%[2]s ici",
		"%[1]s: ningún ticket n.º %[2]s aquí",
		"%[1]s: nessun ticket n. %[2]s qui"),
	noticeForm(quoted+`: a ticket cannot be merged into itself`, nil,
		"%[1]s : un ticket ne peut pas être fusionné avec lui-même",
		"%[1]s: un ticket no se puede fusionar consigo mismo",
		"%[1]s: un ticket non può essere unito a se stesso"),
	noticeForm(quoted+`: #(\d+) was merged into #(\d+) already`, nil,
		"%[1]s : le n°%[2]s a déjà été fusionné dans le n°%[3]s",
		"%[1]s: el n.º %[2]s ya se fusionó con el n.º %[3]s",
		"%[1]s: il n. %[2]s è già stato unito al n. %[3]s"),
	noticeForm(quoted+`: ticket #(\d+) is in the trash; restore it first`, nil,
		"%[1]s : le ticket n°%[2]s est dans la corbeille ; restaurez-le d'abord",
		"%[1]s: el ticket n.º %[2]s está en la papelera; restáurelo primero",
		"%[1]s: il ticket n. %[2]s è nel cestino; ripristinatelo prima"),
	// tickets.RenderSavedReply (UnknownSavedReply), for #reply
	noticeForm(quoted+`: no saved reply `+quoted+` on this property; (its saved replies: .+|it has none)`, []int{3},
		"%[1]s : aucune réponse enregistrée %[2]s ici ; %[3]s",
		"%[1]s: ninguna respuesta guardada %[2]s aquí; %[3]s",
		"%[1]s: nessuna risposta salvata %[2]s qui; %[3]s"),
	noticeForm(quoted+`: saved reply `+quoted+` has no text in (\S+), only in ([^;]+); (its saved replies: .+|it has none)`, []int{5},
		"%[1]s : la réponse enregistrée %[2]s n'a pas de texte en %[3]s, seulement en %[4]s ; %[5]s",
		"%[1]s: la respuesta guardada %[2]s no tiene texto en %[3]s, solo en %[4]s; %[5]s",
		"%[1]s: la risposta salvata %[2]s non ha testo in %[3]s, solo in %[4]s; %[5]s"),
	noticeForm(`its saved replies: (.+)`, nil,
		"les réponses enregistrées sont : %[1]s",
		"las respuestas guardadas son: %[1]s",
		"le risposte salvate sono: %[1]s"),
	noticeForm(`it has none`, nil,
		"il n'y en a aucune",
		"no hay ninguna",
		"non ce n'è nessuna"),
	// tickets/rules
	noticeForm(`commands run only in a reply to your own copy of a postdesk mail \(its Reply-To address\): nothing was run or sent`, nil,
		"les commandes ne s'exécutent que dans une réponse à votre propre copie d'un e-mail de postdesk (son adresse Reply-To) : rien n'a été exécuté ni envoyé",
		"los comandos solo se ejecutan en una respuesta a su propia copia de un correo de postdesk (su dirección Reply-To): no se ejecutó ni envió nada",
		"i comandi si eseguono solo in una risposta alla propria copia di un'e-mail di postdesk (il suo indirizzo Reply-To): nulla è stato eseguito né inviato"),
	noticeForm(`nothing was sent: write your answer above the quoted text`, nil,
		"rien n'a été envoyé : écrivez votre réponse au-dessus du texte cité",
		"no se envió nada: escriba su respuesta encima del texto citado",
		"nulla è stato inviato: scrivete la risposta sopra il testo citato"),
	noticeForm(`more than (\d+) replies by mail to this ticket in an hour: kept, not sent`, nil,
		"plus de %[1]s réponses par e-mail à ce ticket en une heure : gardée, pas envoyée",
		"más de %[1]s respuestas por correo a este ticket en una hora: guardada, no enviada",
		"più di %[1]s risposte per e-mail a questo ticket in un'ora: conservata, non inviata"),
	noticeForm(`(.+): nothing was run or sent`, []int{1},
		"%[1]s : rien n'a été exécuté ni envoyé",
		"%[1]s: no se ejecutó ni envió nada",
		"%[1]s: nulla è stato eseguito né inviato"),
	// intake and tickets: why a mail may not act for an agent
	noticeForm(`it came through a mailing list`, nil,
		"il est passé par une liste de diffusion",
		"llegó a través de una lista de correo",
		"è arrivata tramite una mailing list"),
	noticeForm(`the mail has more than one From`, nil,
		"l'e-mail a plus d'un From",
		"el correo tiene más de un From",
		"l'e-mail ha più di un From"),
	noticeForm(`DKIM required: the mail is not signed`, nil,
		"DKIM requis : l'e-mail n'est pas signé",
		"DKIM obligatorio: el correo no está firmado",
		"DKIM obbligatorio: l'e-mail non è firmata"),
	noticeForm(`DKIM required: no From domain`, nil,
		"DKIM requis : pas de domaine dans From",
		"DKIM obligatorio: sin dominio en From",
		"DKIM obbligatorio: nessun dominio in From"),
	noticeForm(`DKIM required: no valid signature of (.+)`, nil,
		"DKIM requis : aucune signature valide de %[1]s",
		"DKIM obligatorio: ninguna firma válida de %[1]s",
		"DKIM obbligatorio: nessuna firma valida di %[1]s"),
	noticeForm(`DKIM required: (.+)`, nil,
		"DKIM requis : %[1]s",
		"DKIM obligatorio: %[1]s",
		"DKIM obbligatorio: %[1]s"),
}

// usage translates the lines of mailcmd.Usage (the English placeholders in angle brackets).
var usage = map[string]map[string]string{
	"#assign <agent email | department | me>": {
		"fr": "#assign <e-mail d'un agent | service | me>",
		"es": "#assign <correo de un agente | departamento | me>",
		"it": "#assign <e-mail di un agente | reparto | me>",
	},
	"#tag <name>": {"fr": "#tag <nom>", "es": "#tag <nombre>", "it": "#tag <nome>"},
	"#merge <ticket number>": {
		"fr": "#merge <numéro du ticket>",
		"es": "#merge <número del ticket>",
		"it": "#merge <numero del ticket>",
	},
	"#untag <name>": {"fr": "#untag <nom>", "es": "#untag <nombre>", "it": "#untag <nome>"},
	"#reply <saved reply's name>": {
		"fr": "#reply <nom d'une réponse enregistrée>",
		"es": "#reply <nombre de una respuesta guardada>",
		"it": "#reply <nome di una risposta salvata>",
	},
	"#tag <tag>": {"fr": "#tag <étiquette>", "es": "#tag <etiqueta>", "it": "#tag <etichetta>"},
	"#snooze <2h | 3d | YYYY-MM-DD>": {
		"fr": "#snooze <2h | 3d | AAAA-MM-JJ>",
		"es": "#snooze <2h | 3d | AAAA-MM-DD>",
		"it": "#snooze <2h | 3d | AAAA-MM-GG>",
	},
	"#note (the rest of the mail is an internal note)": {
		"fr": "#note (le reste de l'e-mail est une note interne)",
		"es": "#note (el resto del correo es una nota interna)",
		"it": "#note (il resto dell'e-mail è una nota interna)",
	},
}

// TranslateNotice returns line, an English line of a command-error mail, in locale (its base
// language; English and unknown lines are returned as they are).
func TranslateNotice(locale, line string) string {
	lang := baseLanguage(locale)
	if lang == DefaultLocale {
		return line
	}
	for _, nt := range notices {
		m := nt.re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		f, ok := nt.tr[lang]
		if !ok {
			return line
		}
		args := make([]any, len(m)-1)
		for i, s := range m[1:] {
			if slices.Contains(nt.sub, i+1) {
				s = TranslateNotice(lang, s)
			}
			args[i] = s
		}
		return fmt.Sprintf(f, args...)
	}
	return line
}

// TranslateUsage returns line, one line of the accepted commands (mailcmd.Usage), in locale.
func TranslateUsage(locale, line string) string {
	if t, ok := usage[line][baseLanguage(locale)]; ok {
		return t
	}
	return line
}

func translateAll(locale string, lines []string, tr func(string, string) string) []string {
	if len(lines) == 0 {
		return lines
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = tr(locale, l)
	}
	return out
}

// baseLanguage is the language of locale: "fr-CA" → "fr".
func baseLanguage(locale string) string {
	l := normalizeLocale(locale)
	if i := strings.IndexByte(l, '-'); i > 0 {
		l = l[:i]
	}
	return l
}

// formSubjects is the subject of a contact form post without one, per language.
var formSubjects = map[string]string{
	"en": "Message from the contact form",
	"fr": "Message du formulaire de contact",
	"es": "Mensaje del formulario de contacto",
	"it": "Messaggio dal modulo di contatto",
}

// FormSubject returns the subject a contact form post without one gets, in locale (its base
// language, then English).
func FormSubject(locale string) string {
	if s, ok := formSubjects[baseLanguage(locale)]; ok {
		return s
	}
	return formSubjects[DefaultLocale]
}
