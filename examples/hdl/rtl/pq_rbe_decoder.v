// pq_rbe_decoder: an example RTL decoder of 64-bit seeds into weights, the
// device under test of the poincare_q64 hardware testbenches
// (docs/hardware.md).
//
// Input, one transaction per cycle when in_valid is high: a seed64 word and
// an index pair (i, j).  Output, 9 cycles later (out_valid):
//   out_hash        MurmurHash3_x86_32(LE32(i) || LE32(j), 0), exact;
//   out_f           f = g(r) sin(theta') phi(i, j) as signed Q2.30, within
//                   0.6371 ulp of the exact value (derived in gen_tables.py;
//                   PQ_BOUND62 in pq_params.vh is the bound at frac 62);
//   out_unsupported the word uses an option this decoder does not implement
//                   (basis, d_r or log2_c not 0); out_f is then 0.
// Supported: r (20 bits), theta (24 bits), rot and d_theta (they only add to
// the angle: theta' = theta + rot 2^20 + d_theta 2^22 mod 2^24), eps = 0, c = 1.
//
// Arithmetic: g, sin and sin/10 each from a table of quadratics (pq_poly2),
// all at frac 36; g s is rounded to frac 36, then (g s) phi to frac 30, both
// half up.  DEFECT = 1 truncates the last rounding instead (up to 1 ulp
// more error, caught by the bound); DEFECT = 2 leaves the length out of the
// hash (pq_murmur3).
module pq_rbe_decoder #(
    parameter integer DEFECT = 0
) (
    input  wire               clk,
    input  wire               rst,
    input  wire               in_valid,
    /* verilator lint_off UNUSEDSIGNAL */  // the seed's reserved bits [5:0]
    input  wire [63:0]        in_seed,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [31:0]        in_i,
    input  wire [31:0]        in_j,
    output wire               out_valid,
    output wire [31:0]        out_hash,
    output wire signed [31:0] out_f,
    output wire               out_unsupported
);
    /* verilator lint_off UNUSEDPARAM */  // PQ_BOUND62 is for the testbenches
`include "pq_params.vh"
    /* verilator lint_on UNUSEDPARAM */
    localparam integer LATENCY = 9;
    localparam integer OW = 40;

    // ---- stage 0: input registers, angle reduction (exact, mod 2^24)
    reg        v0, unsup0;
    reg [19:0] r0;
    reg [23:0] th0;
    reg [31:0] i0, j0;
    always @(posedge clk) begin
        v0 <= rst ? 1'b0 : in_valid;
        r0 <= in_seed[63:44];
        th0 <= in_seed[43:20] + {in_seed[12:9], 20'd0} + {in_seed[15:14], 22'd0};
        unsup0 <= (in_seed[19:16] != 4'd0) | in_seed[13] | (in_seed[8:6] != 3'd0);
        i0 <= in_i;
        j0 <= in_j;
    end

    // ---- g: 2048 segments of r; t = low 9 bits - 256
    wire signed [PQ_G_RW:0] g_t = {1'b0, r0[PQ_G_RW-1:0]} - {2'b01, {(PQ_G_RW-1){1'b0}}};
    wire signed [OW-1:0] g3;
    pq_poly2 #(.TABLE(0), .AW(PQ_G_AW), .TW(PQ_G_RW + 1), .A1(PQ_G_A1), .A2(PQ_G_A2),
               .CW(PQ_CW), .OW(OW))
        g_unit (.clk(clk), .addr(r0[19:PQ_G_RW]), .t(g_t), .neg(1'b0), .y(g3));

    // ---- sin: fold the angle to a quarter turn u in [0, 2^22]
    wire [1:0]  s_q = th0[23:22];
    wire [22:0] s_u = s_q[0] ? (23'd1 << 22) - {1'b0, th0[21:0]} : {1'b0, th0[21:0]};
    wire signed [PQ_SIN_RW:0] s_t = {1'b0, s_u[PQ_SIN_RW-1:0]} - {2'b01, {(PQ_SIN_RW-1){1'b0}}};
    wire signed [OW-1:0] s3;
    pq_poly2 #(.TABLE(1), .AW(PQ_SIN_AW), .TW(PQ_SIN_RW + 1), .A1(PQ_SIN_A1), .A2(PQ_SIN_A2),
               .CW(PQ_CW), .OW(OW))
        s_unit (.clk(clk), .addr(s_u[22:PQ_SIN_RW]), .t(s_t), .neg(s_q[1]), .y(s3));

    // ---- hash (stages 1-4)
    wire [31:0] h4;
    pq_murmur3 #(.DEFECT(DEFECT)) hash_unit (.clk(clk), .i(i0), .j(j0), .h(h4));

    // ---- stage 4: g s rounded half up to frac 36
    wire signed [2*OW-1:0] gs_full = g3 * s3;
    wire signed [2*OW-1:0] gs_one = 1;
    /* verilator lint_off UNUSEDSIGNAL */  // |g s| <= 1 + 2^-30: the top bits are sign
    wire signed [2*OW-1:0] gs_rnd = (gs_full + (gs_one <<< (PQ_F - 1))) >>> PQ_F;
    /* verilator lint_on UNUSEDSIGNAL */
    reg  signed [OW+3:0] gs4, gs5, gs6, gs7;
    always @(posedge clk) begin
        gs4 <= gs_rnd[OW+3:0];
        gs5 <= gs4;
        gs6 <= gs5;
        gs7 <= gs6;
    end

    // ---- phi = 1 + sin(2 pi H / 2^32) / 10: fold H to u in [0, 2^30] (stages 5-7)
    wire [1:0]  p_q = h4[31:30];
    wire [30:0] p_u = p_q[0] ? (31'd1 << 30) - {1'b0, h4[29:0]} : {1'b0, h4[29:0]};
    wire signed [PQ_SIN10_RW:0] p_t = {1'b0, p_u[PQ_SIN10_RW-1:0]}
                                      - {2'b01, {(PQ_SIN10_RW-1){1'b0}}};
    wire signed [OW-1:0] s10_7;
    pq_poly2 #(.TABLE(2), .AW(PQ_SIN10_AW), .TW(PQ_SIN10_RW + 1), .A1(PQ_SIN10_A1),
               .A2(PQ_SIN10_A2), .CW(PQ_CW), .OW(OW))
        phi_unit (.clk(clk), .addr(p_u[30:PQ_SIN10_RW]), .t(p_t), .neg(p_q[1]), .y(s10_7));
    wire signed [OW-1:0] one_f = {{(OW-1){1'b0}}, 1'b1} <<< PQ_F;
    wire signed [OW-1:0] phi7 = one_f + s10_7;

    // ---- stage 8: f = (g s) phi rounded to frac 30
    localparam integer SH = 2 * PQ_F - 30;
    wire signed [2*OW+3:0] f_full = gs7 * phi7;
    wire signed [2*OW+3:0] f_one = 1;
    /* verilator lint_off UNUSEDSIGNAL */  // |f| < 1.2: 32 bits hold it
    wire signed [2*OW+3:0] f_rnd = (DEFECT == 1) ? f_full >>> SH
                                                 : (f_full + (f_one <<< (SH - 1))) >>> SH;
    /* verilator lint_on UNUSEDSIGNAL */

    // ---- control, hash and flag delayed to the output
    reg [LATENCY-1:1] v;
    reg [3:0]  unsup_d;   // stages 1..4
    reg        unsup5, unsup6, unsup7, unsup8;
    reg [31:0] h5, h6, h7, h8;
    reg signed [31:0] f8;
    always @(posedge clk) begin
        v <= rst ? {(LATENCY-1){1'b0}} : {v[LATENCY-2:1], v0};
        unsup_d <= {unsup_d[2:0], unsup0};
        unsup5 <= unsup_d[3];
        unsup6 <= unsup5;
        unsup7 <= unsup6;
        unsup8 <= unsup7;
        h5 <= h4;
        h6 <= h5;
        h7 <= h6;
        h8 <= h7;
        f8 <= unsup7 ? 32'sd0 : f_rnd[31:0];
    end

    assign out_valid = v[LATENCY-1];
    assign out_hash = h8;
    assign out_f = f8;
    assign out_unsupported = unsup8;
endmodule
