package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/postdesk/postdesk/dkimkeys"
)

const dkimUsage = "postdesk property dkim --property S (--generate [--selector X] [--algorithm rsa|ed25519] | --show | --activate --selector X | --disable)"

// propertyDKIM manages the DKIM keys a property's mail is signed with, for sites whose relay does
// not sign: --generate makes one and prints the DNS record to publish, --show prints the records
// again, --activate switches to a key made while another signed (rotation), --disable removes
// them all.
func propertyDKIM(ctx context.Context, c *cli, args []string) error {
	var generate, show, activate, disable *bool
	var selector, algorithm *string
	return c.withProperty(ctx, "property dkim", args, []string{"domain"}, false, func(fs *flag.FlagSet) {
		generate = fs.Bool("generate", false, "make a key and print the DNS TXT record to publish; it signs at once unless another key does (then see --activate)")
		show = fs.Bool("show", false, "print the DNS records of the property's keys")
		activate = fs.Bool("activate", false, "sign with the key of --selector from now on (publish its record first); the key that signed until now is deleted")
		disable = fs.Bool("disable", false, "delete the property's keys: its mail goes out unsigned")
		selector = fs.String("selector", "", "the key's selector, a DNS label (default with --generate: postdesk<yyyymm>)")
		algorithm = fs.String("algorithm", dkimkeys.RSA, "rsa (rsa-sha256, 2048 bits; verified everywhere) or ed25519 (RFC 8463; many receivers ignore it)")
	}, func(sc scoped) error {
		if err := noArgs(sc.rest); err != nil {
			return err
		}
		actions := 0
		for _, b := range []*bool{generate, show, activate, disable} {
			if *b {
				actions++
			}
		}
		if actions != 1 || (*activate && *selector == "") {
			return fmt.Errorf("%w: %s", errUsage, dkimUsage)
		}
		secret, err := sc.store.Secret(ctx)
		if err != nil {
			return err
		}
		keys, err := dkimkeys.Open(ctx, sc.store.DB(), secret, dkimkeys.WithClock(sc.store.Now))
		if err != nil {
			return err
		}
		slug := sc.prop.Slug
		switch {
		case *generate:
			domain, err := dkimkeys.DomainOf(sc.prop.From(sc.cfg.Domain))
			if err != nil {
				return err
			}
			k, err := keys.Generate(ctx, sc.prop.ID, domain, *selector, *algorithm)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "; the DKIM key %s of %s: publish this record in the DNS of %s\n", k.Selector, slug, k.Domain)
			if k.Active {
				fmt.Fprintf(c.stdout, "; it signs the mail of %s from now on\n", slug)
			} else {
				fmt.Fprintf(c.stdout, "; another key signs until then: once this record is published, switch with\n;   postdesk property dkim --property %s --activate --selector %s\n", slug, k.Selector)
			}
			fmt.Fprintln(c.stdout, k.Record())
		case *show:
			ks, err := keys.Keys(ctx, sc.prop.ID)
			if err != nil {
				return err
			}
			if len(ks) == 0 {
				fmt.Fprintf(c.stdout, "; %s signs no mail (postdesk property dkim --property %s --generate)\n", slug, slug)
			}
			domain, _ := dkimkeys.DomainOf(sc.prop.From(sc.cfg.Domain))
			for _, k := range ks {
				printKey(c.stdout, slug, k)
				if k.Domain != domain {
					// The property's From address moved since: only mail from the key's domain is signed.
					fmt.Fprintf(c.stdout, "; warning: %s sends from %s now, so this key signs nothing: generate a key for it\n", slug, sc.prop.From(sc.cfg.Domain))
				}
			}
		case *activate:
			if err := keys.Activate(ctx, sc.prop.ID, *selector); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "the mail of %s is signed with the key %s from now on; keep the previous key's DNS record a few days, for mail still on its way\n", slug, *selector)
		case *disable:
			n, err := keys.Delete(ctx, sc.prop.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "the mail of %s goes out unsigned (%d keys deleted)\n", slug, n)
		}
		return nil
	})
}

func printKey(w io.Writer, slug string, k dkimkeys.Key) {
	state := "waiting (postdesk property dkim --property " + slug + " --activate --selector " + k.Selector + ")"
	if k.Active {
		state = "signs the mail of " + slug
	}
	fmt.Fprintf(w, "; %s, %s-sha256, made %s: %s\n%s\n", k.Selector, k.Algorithm, k.CreatedAt.Format("2006-01-02"), state, k.Record())
}
