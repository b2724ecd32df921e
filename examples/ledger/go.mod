// Demo service: the payments team's ledger (Go).
module example.com/payments/ledger

go 1.22

require (
	github.com/jackc/pgx/v5 v5.5.5
	github.com/prometheus/client_golang v1.19.0
	golang.org/x/sync v0.6.0
)

require (
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/cespare/xxhash/v2 v2.2.0 // indirect
)

replace golang.org/x/sync => golang.org/x/sync v0.7.0
