package mailparse

import (
	"encoding/base64"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// enc writes s in a legacy charset, as the sender's mailer did.
func enc(t *testing.T, e encoding.Encoding, s string) string {
	t.Helper()
	b, err := e.NewEncoder().String(s)
	if err != nil {
		t.Fatalf("encoding %q: %v", s, err)
	}
	return b
}

const (
	zhHans = "你好，请帮我查一下订单的状态。谢谢！"
	zhHant = "您好，請幫我查一下訂單的狀態。謝謝！"
	ja     = "お世話になっております。注文の状況を教えてください。"
)

// Chinese and Japanese bodies labelled with a charset they are not in (or
// none) come out as the sender wrote them, with the guess in Problems.
func TestLyingCharsetBodies(t *testing.T) {
	gb := enc(t, simplifiedchinese.GBK, zhHans)
	big5 := enc(t, traditionalchinese.Big5, zhHant)
	sjis := enc(t, japanese.ShiftJIS, ja)
	eucjp := enc(t, japanese.EUCJP, ja)
	jis := enc(t, japanese.ISO2022JP, ja)
	for _, tc := range []struct {
		name, cs, body, want, problem string
	}{
		{"gbk as latin1", "iso-8859-1", gb, zhHans, `declared charset "iso-8859-1" but content reads as GB18030`},
		{"gbk as cp1252", "windows-1252", gb, zhHans, "reads as GB18030"},
		{"gbk no charset", "", gb, zhHans, "without charset is not valid UTF-8, guessed GB18030"},
		{"gbk as us-ascii", "us-ascii", gb, zhHans, "guessed GB18030"},
		{"big5 as latin1", "iso-8859-1", big5, zhHant, "reads as Big5"},
		{"big5 no charset", "", big5, zhHant, "guessed Big5"},
		{"sjis as latin1", "iso-8859-1", sjis, ja, "reads as Shift_JIS"},
		{"sjis no charset", "", sjis, ja, "guessed Shift_JIS"},
		{"sjis as utf-8", "utf-8", sjis, ja, `declared charset "utf-8" but content is not valid UTF-8, guessed Shift_JIS`},
		{"euc-jp as latin1", "iso-8859-1", eucjp, ja, "reads as EUC-JP"},
		{"euc-jp no charset", "", eucjp, ja, "guessed EUC-JP"},
		{"iso-2022-jp no charset", "", jis, ja, "holds ISO-2022-JP escapes"},
		{"iso-2022-jp as us-ascii", "us-ascii", jis, ja, "holds ISO-2022-JP escapes"},
		{"iso-2022-jp as latin1", "iso-8859-1", jis, ja, "holds ISO-2022-JP escapes"},
		{"utf-8 with a stray latin1 byte", "utf-8", "Grüße aus Köln, r\xe9sum\xe9 attached", "Grüße aus Köln, résumé attached", "decoded as UTF-8, the invalid bytes as windows-1252"},
		{"utf-8 truncated sequence", "utf-8", "日本語のテキスト\xe3\x81", "日本語のテキスト\u00e3\u0081", "the invalid bytes as windows-1252"},
		{"utf-8 as gb2312", "gb2312", zhHans, zhHans, `declared charset "gb2312" but content is valid UTF-8, decoded as UTF-8`},
		{"utf-8 as shift_jis", "shift_jis", ja, ja, "is valid UTF-8, decoded as UTF-8"},
		{"sjis as euc-jp", "euc-jp", sjis, ja, `declared charset "euc-jp" but content does not fit it and reads as Shift_JIS`},
		{"big5 as euc-kr", "euc-kr", big5, zhHant, "does not fit it and reads as Big5"},
		{"gbk as gb2312 kept", "gb2312", gb, zhHans, ""},
		{"sjis as shift_jis kept", "shift_jis", sjis, ja, ""},
		// Western text keeps its declared reading, without a note.
		{"french latin1", "iso-8859-1", "Le caf\xe9 \xe9tait tr\xe8s bon, \xe0 bient\xf4t", "Le café était très bon, à bientôt", ""},
		{"german latin1", "iso-8859-1", "Gr\xfc\xdfe, \xc4rger \xfcber \xd6l", "Grüße, Ärger über Öl", ""},
		{"spanish latin1", "iso-8859-1", "\xbfQu\xe9 tal, se\xf1or? \xa1Hola!", "¿Qué tal, señor? ¡Hola!", ""},
		{"portuguese latin1", "iso-8859-15", "N\xe3o h\xe1 a\xe7\xf5es \xa4 5", "Não há ações € 5", ""},
		{"cp1252 quotes", "windows-1252", "\x93Hello\x94 \x96 it\x92s fine\x85", "“Hello” – it’s fine…", ""},
		{"latin1 no charset", "", "caf\xe9 cr\xe8me", "café crème", "decoded as windows-1252"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct := "text/plain"
			if tc.cs != "" {
				ct += "; charset=" + tc.cs
			}
			m := parseOK(t, []byte("Content-Type: "+ct+"\n\n"+tc.body))
			eq(t, "Text", m.Text, tc.want)
			if tc.problem != "" {
				wantProblem(t, m, tc.problem)
			} else if len(m.Problems) > 0 {
				t.Errorf("unexpected problems %q", m.Problems)
			}
		})
	}
}

// The same for subjects: encoded-words with a lying label, and raw 8-bit
// bytes without any (RFC 2047 §2 words and RFC 6532 raw UTF-8 being what
// the sender should have sent).
func TestLyingCharsetSubjects(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		name, subject, want, problem string
	}{
		{"gb word as latin1", "=?iso-8859-1?B?" + b64(enc(t, simplifiedchinese.GBK, "订单问题")) + "?=", "订单问题", "reads as GB18030"},
		{"short gb word", "=?iso-8859-1?B?" + b64(enc(t, simplifiedchinese.GBK, "你好")) + "?=", "你好", "reads as GB18030"},
		{"big5 word as us-ascii", "=?us-ascii?B?" + b64(enc(t, traditionalchinese.Big5, "訂單問題")) + "?=", "訂單問題", "guessed Big5"},
		{"sjis word as latin1", "Re: =?ISO-8859-1?B?" + b64(enc(t, japanese.ShiftJIS, "注文について")) + "?=", "Re: 注文について", "reads as Shift_JIS"},
		{"euc-jp word as utf-8", "=?utf-8?B?" + b64(enc(t, japanese.EUCJP, "お問い合わせ")) + "?=", "お問い合わせ", "guessed EUC-JP"},
		{"iso-2022-jp word as us-ascii", "=?us-ascii?B?" + b64(enc(t, japanese.ISO2022JP, "日本語")) + "?=", "日本語", "holds ISO-2022-JP escapes"},
		{"utf-8 word as gb2312", "=?gb2312?B?" + b64("你好") + "?=", "你好", `declared charset "gb2312" but content is valid UTF-8`},
		{"raw sjis", enc(t, japanese.ShiftJIS, "テスト送信"), "テスト送信", "raw 8-bit header bytes are not valid UTF-8, guessed Shift_JIS"},
		{"raw gbk", "Re: " + enc(t, simplifiedchinese.GBK, "发票"), "Re: 发票", "guessed GB18030"},
		{"raw latin1 kept", "Caf\xe9 cr\xe8me", "Café crème", "decoded as windows-1252"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := parseOK(t, []byte("Subject: "+tc.subject+"\r\n\r\nbody\r\n"))
			eq(t, "Subject", m.Subject, tc.want)
			wantProblem(t, m, tc.problem)
		})
	}
}

func TestLyingCharsetDisplayName(t *testing.T) {
	m := parseOK(t, []byte("From: "+enc(t, simplifiedchinese.GBK, "王小明")+" <wang@example.cn>\n\nbody\n"))
	if m.From == nil || m.From.Name != "王小明" || m.From.Email != "wang@example.cn" {
		t.Errorf("From = %+v", m.From)
	}
	wantProblem(t, m, "address header are not valid UTF-8, guessed GB18030")
}

// A long Chinese body in which several CJK readings are clean is judged by
// the detector's frequency statistics.
func TestLyingCharsetLongBody(t *testing.T) {
	long := strings.Repeat(zhHant+"我們的系統在處理您的請求時發生了錯誤，請稍後再試。", 4)
	m := parseOK(t, []byte("Content-Type: text/plain; charset=iso-8859-1\n\n"+enc(t, traditionalchinese.Big5, long)))
	eq(t, "Text", m.Text, long)
	long = strings.Repeat(zhHans+"我们的系统在处理您的请求时发生了错误，请稍后再试。", 4)
	m = parseOK(t, []byte("Content-Type: text/plain\n\n"+enc(t, simplifiedchinese.GBK, long)))
	eq(t, "Text", m.Text, long)
}

// BenchmarkParseCharsets measures the charset paths: a Western Latin-1 body
// (scored once, not detected), and doubtful bodies that are detected.
func BenchmarkParseCharsets(b *testing.B) {
	latin := strings.Repeat("Le caf\xe9 \xe9tait tr\xe8s bon, \x93merci\x94 \xe0 bient\xf4t. ", 200)
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String(strings.Repeat(zhHans, 200))
	sjis, _ := japanese.ShiftJIS.NewEncoder().String(strings.Repeat(ja, 200))
	for _, bc := range []struct{ name, cs, body string }{
		{"latin1", "iso-8859-1", latin},
		{"utf8", "utf-8", strings.Repeat(zhHans, 200)},
		{"gbk-as-latin1", "iso-8859-1", gbk},
		{"sjis-no-charset", "", sjis},
	} {
		ct := "text/plain"
		if bc.cs != "" {
			ct += "; charset=" + bc.cs
		}
		raw := []byte("From: a@example.com\nSubject: s\nContent-Type: " + ct + "\n\n" + bc.body)
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if m := Parse(raw); m.Text == "" {
					b.Fatal("no text")
				}
			}
		})
	}
}
