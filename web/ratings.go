package web

import (
	"context"
	"math"

	"github.com/postdesk/postdesk/tickets"
)

// ratingDays is the period of the ratings' summary the inbox shows: the last 30 days.
const ratingDays = 30

// ratingSummary is the property's ratings of the last ratingDays, shown above the closed view and
// any list filtered by rating (where an agent looks at how tickets ended); nil elsewhere.
func (s *Server) ratingSummary(ctx context.Context, c *call, q tickets.Query) (*tickets.RatingSummary, error) {
	if q.View != "closed" && q.Rating == "" {
		return nil, nil
	}
	sum, err := s.store.RatingSummary(ctx, c.prop.ID, s.cfg.Now().AddDate(0, 0, -ratingDays))
	if err != nil {
		return nil, err
	}
	return &sum, nil
}

// GoodPercent is the share of good ratings in the summary, in whole percents.
func (d inboxData) GoodPercent() int {
	if d.Ratings == nil {
		return 0
	}
	return int(math.Round(100 * d.Ratings.GoodShare))
}
