// The telemetry HTTP API, registered on the feature-agnostic http::Server:
//   GET  /v1/telemetry/ws    (vehicle) WebSocket: one record per frame, binary wire.Payload or a
//                            JSON text frame; one ack per frame, in frame order, sent once the
//                            record is durable (binary wire.Ack, or JSON {"seq","ok","records",
//                            "code","error"} for text frames). A bad frame gets a refusing ack
//                            naming its seq once it decoded (0 otherwise); the connection stays
//                            open. Reads pause while max_in_flight_frames await the store.
//                            Revoking the credential that opened the socket
//                            (http::SessionRegistry) stores nothing read after it and closes the
//                            socket with 1008 "credential revoked". With ?batch=1 every frame is
//                            a batch (wire.Batch or a JSON array of frames) stored all or nothing,
//                            acked with its last seq.
//   POST /v1/telemetry       (vehicle) a batch, wire.Batch (application/x-protobuf) or a JSON array
//                            of frames (application/json), stored all or nothing: {"accepted": N}.
//   GET  /v1/telemetry/{vin} (operator, admin) ?from=MS&to=MS&fields=a,b&limit=N&cursor=C:
//                            records of the vehicle from its home region with from <= created_at
//                            <= to in (created_at, seq) order, at most `limit` (TelemetryQuery
//                            default, capped at max_query_records): {"vin","count","records",
//                            "next_cursor"}; next_cursor is null on the last page, else the cursor
//                            of the next page, valid with the same vin, from and to (400
//                            otherwise, query_cursor.h). Other regions' callers get the 404 of an
//                            unregistered VIN (the refusal is audited within their budget).
//   GET  /v1/telemetry/{vin}/track (operator, admin) ?from=MS&to=MS&limit=N&cursor=C: the same
//                            query of the location field, coarsened as exports are
//                            (privacy::Coarsener, default CoarsenOptions: 0.01 degree cells,
//                            15-minute buckets): {"vin","grid_degrees","records","points":
//                            [{"time_ms","lat","lon"}],"next_cursor"}, a point per change of cell
//                            (time_ms the bucket where the car entered it); suppressed points
//                            are left out. Same access and paging as the records.
#pragma once

#include "fleetgate/core/result.h"
#include "fleetgate/http/server.h"
#include "fleetgate/telemetry/ingest_service.h"

namespace fleetgate::telemetry {

// REQUIRES: `service` outlives the server, and the server is stopped before the service dies.
Status register_ingest_routes(http::Server& server, IngestService& service);

}  // namespace fleetgate::telemetry
