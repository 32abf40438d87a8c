package tickets

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/postdesk/postdesk/db"
)

// queryFiles holds the store's fixed SQL, grouped by table (see db.LoadQueries).
//
//go:embed queries/*.sql
var queryFiles embed.FS

// queries are the store's named statements, as run on its engine.
type queries struct {
	// agents.sql
	AgentUpsert                 string `query:"agent-upsert"`
	AgentSetRole                string `query:"agent-set-role"`
	AgentByEmail                string `query:"agent-by-email"`
	AgentByID                   string `query:"agent-by-id"`
	AgentSetSignature           string `query:"agent-set-signature"`
	AgentsOfProperty            string `query:"agents-of-property"`
	AgentOnProperty             string `query:"agent-on-property"`
	AgentIDByEmail              string `query:"agent-id-by-email"`
	AgentsInvolved              string `query:"agents-involved"`
	Audience                    string `query:"audience"`
	DepartmentUpsert            string `query:"department-upsert"`
	DepartmentMemberAdd         string `query:"department-member-add"`
	DepartmentByName            string `query:"department-by-name"`
	DepartmentMembers           string `query:"department-members"`
	DepartmentsOfProperty       string `query:"departments-of-property"`
	DepartmentMembersOfProperty string `query:"department-members-of-property"`
	DepartmentIDByName          string `query:"department-id-by-name"`
	AdminsOfProperty            string `query:"admins-of-property"`
	AdminsOfAllProperties       string `query:"admins-of-all-properties"`

	// attachments.sql
	AttachmentInsert          string `query:"attachment-insert"`
	AttachmentInsertReturning string `query:"attachment-insert-returning"`
	AttachmentOfProperty      string `query:"attachment-of-property"`
	AttachmentInfoOfProperty  string `query:"attachment-info-of-property"`
	AttachmentPiece           string `query:"attachment-piece"`
	AttachmentsOfTicket       string `query:"attachments-of-ticket"`
	AttachmentsOfMessage      string `query:"attachments-of-message"`
	LOCreate                  string `query:"lo-create"`
	LOPut                     string `query:"lo-put"`
	LOUnlink                  string `query:"lo-unlink"`
	LOSetTextBody             string `query:"lo-set-text-body"`
	LOSetTrimmedText          string `query:"lo-set-trimmed-text"`
	LOSetHTMLBody             string `query:"lo-set-html-body"`
	LOSetRaw                  string `query:"lo-set-raw"`
	LOSetAttachmentData       string `query:"lo-set-attachment-data"`
	LOSetSystemMailRaw        string `query:"lo-set-system-mail-raw"`

	// contacts.sql
	ContactSummaries      string `query:"contact-summaries"`
	ContactSummaryByEmail string `query:"contact-summary-by-email"`
	ContactUpsert         string `query:"contact-upsert"`
	ContactUnblock        string `query:"contact-unblock"`
	ContactMarkBouncing   string `query:"contact-mark-bouncing"`
	ContactOfTicket       string `query:"contact-of-ticket"`
	TicketCc              string `query:"ticket-cc"`

	// counts.sql
	ViewBuckets string `query:"view-buckets"`

	// events.sql
	EventAdd       string `query:"event-add"`
	EventsOfTicket string `query:"events-of-ticket"`
	EventsIn       string `query:"events-in"`

	// export.sql
	ExportTicketsIn      string `query:"export-tickets-in"`
	ExportMessagesIn     string `query:"export-messages-in"`
	ExportAttachmentsIn  string `query:"export-attachments-in"`
	ExportParticipantsIn string `query:"export-participants-in"`

	// loops.sql
	LoopHoldLast        string `query:"loop-hold-last"`
	LoopHoldExtend      string `query:"loop-hold-extend"`
	LoopHoldEnd         string `query:"loop-hold-end"`
	LoopHoldStart       string `query:"loop-hold-start"`
	LoopMailsFrom       string `query:"loop-mails-from"`
	LoopSystemMailsFrom string `query:"loop-system-mails-from"`

	// merge.sql
	TicketMergedInto      string `query:"ticket-merged-into"`
	MergeTicket           string `query:"merge-ticket"`
	TicketNumberOf        string `query:"ticket-number-of"`
	MergePoint            string `query:"merge-point"`
	MergeTouchInto        string `query:"merge-touch-into"`
	MergeMessages         string `query:"merge-messages"`
	MergeThreadIDs        string `query:"merge-thread-ids"`
	MergeEvents           string `query:"merge-events"`
	MergeOutbox           string `query:"merge-outbox"`
	MergeTags             string `query:"merge-tags"`
	MergeTagsDrop         string `query:"merge-tags-drop"`
	MergeParticipants     string `query:"merge-participants"`
	MergeParticipantsDrop string `query:"merge-participants-drop"`
	MergeLoopHolds        string `query:"merge-loop-holds"`
	MergeLoopHoldsDrop    string `query:"merge-loop-holds-drop"`
	MergeReadsDrop        string `query:"merge-reads-drop"`
	MergeFollowUps        string `query:"merge-follow-ups"`
	MergePointers         string `query:"merge-pointers"`
	MergeCount            string `query:"merge-count"`
	MergePurgePointers    string `query:"merge-purge-pointers"`

	// messages.sql
	MessageDedup               string `query:"message-dedup"`
	MessagesByMessageID        string `query:"messages-by-message-id"`
	MessageInsertInbound       string `query:"message-insert-inbound"`
	MessageInsertOutgoing      string `query:"message-insert-outgoing"`
	MessageTrimmedIsText       string `query:"message-trimmed-is-text"`
	MessageSetRaw              string `query:"message-set-raw"`
	MessageRaw                 string `query:"message-raw"`
	MessageHTML                string `query:"message-html"`
	MessagesOfTicket           string `query:"messages-of-ticket"`
	MessageBrief               string `query:"message-brief"`
	MessageFull                string `query:"message-full"`
	MessageIDsOfTicket         string `query:"message-ids-of-ticket"`
	AgentRepliesSince          string `query:"agent-replies-since"`
	AgentMailsOfTicket         string `query:"agent-mails-of-ticket"`
	ThreadIDRecord             string `query:"thread-id-record"`
	ThreadIDRecordInbound      string `query:"thread-id-record-inbound"`
	ThreadIDRecordGhost        string `query:"thread-id-record-ghost"`
	ThreadIDIsInternal         string `query:"thread-id-is-internal"`
	ThreadIDMarkInternal       string `query:"thread-id-mark-internal"`
	LookupTicketByID           string `query:"lookup-ticket-by-id"`
	LookupTicketByNumber       string `query:"lookup-ticket-by-number"`
	LookupTicketsByMessageIDIn string `query:"lookup-tickets-by-message-id-in"`
	LookupBranchOf             string `query:"lookup-branch-of"`
	LookupIsParticipant        string `query:"lookup-is-participant"`

	// stale.sql
	ThreadIDRecordCopy  string `query:"thread-id-record-copy"`
	ThreadIDSeenIn      string `query:"thread-id-seen-in"`
	MessagesAfter       string `query:"messages-after"`
	MessageHeldOfAgent  string `query:"message-held-of-agent"`
	MessageReleaseClaim string `query:"message-release-claim"`
	MessageReleaseCopy  string `query:"message-release-copy"`
	MessageReleaseDone  string `query:"message-release-finish"`
	AttachmentsMove     string `query:"attachments-move"`
	MessageDelete       string `query:"message-delete"`
	MessageSetHeld      string `query:"message-set-held"`

	// properties.sql
	PropertyInsert               string `query:"property-insert"`
	PropertyBySlug               string `query:"property-by-slug"`
	PropertyByID                 string `query:"property-by-id"`
	PropertiesOfAgent            string `query:"properties-of-agent"`
	PropertiesByFromAddress      string `query:"properties-by-from-address"`
	PropertiesAll                string `query:"properties-all"`
	PropertySetDefaultDepartment string `query:"property-set-default-department"`
	PropertySetIgnoreListMail    string `query:"property-set-ignore-list-mail"`
	PropertySetLocale            string `query:"property-set-locale"`
	PropertySetAcknowledge       string `query:"property-set-acknowledge"`
	PropertySetAttachLimit       string `query:"property-set-attach-limit"`
	PropertySetCloseMail         string `query:"property-set-close-mail"`

	// texts.sql
	PropertyTextUpsert  string `query:"property-text-upsert"`
	PropertyTextDelete  string `query:"property-text-delete"`
	PropertyTextGet     string `query:"property-text-get"`
	PropertyTexts       string `query:"property-texts"`
	TicketViaList       string `query:"ticket-via-list"`
	TicketNumberNext    string `query:"ticket-number-next"`
	PropertyNextNumber  string `query:"property-next-number"`
	SettingSecretInsert string `query:"setting-secret-insert"`
	SettingSecret       string `query:"setting-secret"`

	// savedreplies.sql
	SavedReplyInsert    string `query:"saved-reply-insert"`
	SavedReplyUpdate    string `query:"saved-reply-update"`
	SavedReplyDelete    string `query:"saved-reply-delete"`
	SavedReplyDeleteAll string `query:"saved-reply-delete-all"`
	SavedReplies        string `query:"saved-replies"`
	SavedReplyTicket    string `query:"saved-reply-ticket"`

	// purge.sql
	PurgeAttachments     string `query:"purge-attachments"`
	PurgeMessages        string `query:"purge-messages"`
	PurgeEvents          string `query:"purge-events"`
	PurgeTags            string `query:"purge-tags"`
	PurgeParticipants    string `query:"purge-participants"`
	PurgeThreadIDs       string `query:"purge-thread-ids"`
	PurgeReads           string `query:"purge-reads"`
	PurgeUnsentMail      string `query:"purge-unsent-mail"`
	PurgeSentMail        string `query:"purge-sent-mail"`
	PurgeUnlinkFollowUps string `query:"purge-unlink-follow-ups"`
	PurgeTicket          string `query:"purge-ticket"`
	BlockContact         string `query:"block-contact"`
	BlockMessageCounts   string `query:"block-message-counts"`
	BlockThreadIDs       string `query:"block-thread-ids"`
	BlockAttachments     string `query:"block-attachments"`
	BlockMessages        string `query:"block-messages"`
	BlockQueuedMail      string `query:"block-queued-mail"`

	// search.sql
	SearchFTSCount    string `query:"search-fts-count"`
	SearchIndexBatch  string `query:"search-index-batch"`
	SearchQueueLength string `query:"search-queue-length"`

	// system.sql
	SystemMailInsert    string `query:"system-mail-insert"`
	SystemMailsByMsgID  string `query:"system-mails-by-message-id"`
	SystemMails         string `query:"system-mails"`
	SystemMailsFiltered string `query:"system-mails-filtered"`
	SystemMailByID      string `query:"system-mail-by-id"`
	SystemMailPurge     string `query:"system-mail-purge"`
	SettingGet          string `query:"setting-get"`
	SettingPut          string `query:"setting-put"`
	SettingInsert       string `query:"setting-insert"`
	ContactIsBlocked    string `query:"contact-is-blocked"`

	// tickets.sql
	TicketListBase          string `query:"ticket-list-base"`
	TicketByNumber          string `query:"ticket-by-number"`
	TicketByIDAnyState      string `query:"ticket-by-id-any-state"`
	TicketWithStateByNumber string `query:"ticket-with-state-by-number"`
	TicketsOfContact        string `query:"tickets-of-contact"`
	TicketIDByNumber        string `query:"ticket-id-by-number"`
	TicketKeyByNumber       string `query:"ticket-key-by-number"`
	TicketSubject           string `query:"ticket-subject"`
	TicketInsert            string `query:"ticket-insert"`
	TicketSetCreated        string `query:"ticket-set-created"`
	TicketSetForwarded      string `query:"ticket-set-forwarded"`
	TicketSetSpam           string `query:"ticket-set-spam"`
	TicketCountMessage      string `query:"ticket-count-message"`
	TicketCountRobotMessage string `query:"ticket-count-robot-message"`
	TicketCountHumanMessage string `query:"ticket-count-human-message"`
	TicketSetMessageCount   string `query:"ticket-set-message-count"`
	TicketTouch             string `query:"ticket-touch"`
	TicketReopenByMail      string `query:"ticket-reopen-by-mail"`
	TicketSetStatus         string `query:"ticket-set-status"`
	TicketSetPriority       string `query:"ticket-set-priority"`
	TicketSnooze            string `query:"ticket-snooze"`
	TicketUnsnooze          string `query:"ticket-unsnooze"`
	TicketsDueClosed        string `query:"tickets-due-closed"`
	TicketsWakeSnoozed      string `query:"tickets-wake-snoozed"`
	TicketAssign            string `query:"ticket-assign"`
	TicketUnassign          string `query:"ticket-unassign"`
	TicketTrash             string `query:"ticket-trash"`
	TicketRestore           string `query:"ticket-restore"`
	TicketTagCount          string `query:"ticket-tag-count"`
	TicketTagAdd            string `query:"ticket-tag-add"`
	TicketTagRemove         string `query:"ticket-tag-remove"`
	TicketTagsIn            string `query:"ticket-tags-in"`
	PropertyTags            string `query:"property-tags"`
	TicketReadBy            string `query:"ticket-read-by"`
	ParticipantAdd          string `query:"participant-add"`
	ParticipantsOfTicket    string `query:"participants-of-ticket"`
	TicketReadMark          string `query:"ticket-read-mark"`
	TicketReadForget        string `query:"ticket-read-forget"`
	TicketSpamSender        string `query:"ticket-spam-sender"`
	TicketCustomerEmail     string `query:"ticket-customer-email"`
	TicketBlockState        string `query:"ticket-block-state"`

	// tokens.sql
	TokenInsert  string `query:"token-insert"`
	TokenByHash  string `query:"token-by-hash"`
	TokenUsed    string `query:"token-used"`
	TokensRevoke string `query:"tokens-revoke"`

	// lifecycle.sql
	PropertySetName           string `query:"property-set-name"`
	PropertySetFromAddress    string `query:"property-set-from-address"`
	PropertySetReopenWindow   string `query:"property-set-reopen-window"`
	PropertyContents          string `query:"property-contents"`
	PropertyDelete            string `query:"property-delete"`
	PropertyDeleteCounts      string `query:"property-delete-counts"`
	PropertyDeleteChanges     string `query:"property-delete-changes"`
	PropertyOwners            string `query:"property-owners"`
	AgentTicketsUnassign      string `query:"agent-tickets-unassign"`
	AgentDepartmentsLeave     string `query:"agent-departments-leave"`
	AgentLeaveProperty        string `query:"agent-leave-property"`
	DepartmentRename          string `query:"department-rename"`
	DepartmentTicketsUnassign string `query:"department-tickets-unassign"`
	DepartmentClearDefault    string `query:"department-clear-default"`
	DepartmentDelete          string `query:"department-delete"`
	DepartmentMemberRemove    string `query:"department-member-remove"`
	DepartmentDefault         string `query:"department-default"`
	ContactUpsertCopied       string `query:"contact-upsert-copied"`

	// waiting.sql
	TicketSettleWaiting string `query:"ticket-settle-waiting"`

	// ratings.sql
	RatingTarget   string `query:"rating-target"`
	RatingOfTicket string `query:"rating-of-ticket"`
	RatingUpsert   string `query:"rating-upsert"`
	RatingsIn      string `query:"ratings-in"`
	RatingSummary  string `query:"rating-summary"`
}

// loadQueries reads the store's statements for dialect from files (queryFiles but in tests).
func loadQueries(files fs.FS, dialect db.Dialect) (queries, error) {
	var q queries
	if err := db.LoadQueriesDir(files, "queries", dialect, &q); err != nil {
		return q, fmt.Errorf("tickets: %w", err)
	}
	return q, nil
}
