package templates

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestDocsListEverything keeps docs/templates.md true: every field of Data (nested structs walked
// with reflect, each as its path ".Ticket.Customer"; a Person's fields as "Person.Name"), every
// method the templates may call, every function, every kind and every placeholder is named there.
func TestDocsListEverything(t *testing.T) {
	b, err := os.ReadFile("../docs/templates.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	mentioned := func(what string) {
		t.Helper()
		if !strings.Contains(doc, "`"+what+"`") {
			t.Errorf("docs/templates.md does not mention `%s`", what)
		}
	}
	person := reflect.TypeOf(Person{})
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if !f.IsExported() {
				continue
			}
			path := prefix + "." + f.Name
			mentioned(path)
			ft := f.Type
			if ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft != person && ft != reflect.TypeOf(time.Time{}) {
				walk(path, ft)
			}
		}
	}
	walk("", reflect.TypeOf(Data{}))
	for i := range person.NumField() {
		mentioned("Person." + person.Field(i).Name)
	}
	for _, typ := range []reflect.Type{reflect.TypeOf(Data{}), reflect.TypeOf(Message{}), person, reflect.TypeOf(CustomText{})} {
		name := typ.Name()
		for i := range typ.NumMethod() {
			mentioned(name + "." + typ.Method(i).Name)
		}
	}
	for _, extra := range []string{".Locale", ".Subject", ".Custom.Text", ".Custom.HTML"} {
		mentioned(extra)
	}
	if v := reflect.TypeOf(view{}); v.NumField() != 4 {
		t.Errorf("view has %d fields: document the new one in docs/templates.md and here", v.NumField())
	}
	for name := range funcMap("en") {
		mentioned(name)
	}
	for _, k := range Kinds() {
		mentioned(k)
	}
	for _, k := range CustomKinds() {
		for _, p := range Placeholders(k) {
			mentioned(p[0])
		}
	}
	for _, p := range SavedReplyPlaceholders() {
		mentioned(p[0])
	}
}
