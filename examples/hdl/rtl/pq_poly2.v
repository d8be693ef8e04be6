// pq_poly2: one table-driven quadratic, three pipeline stages.
//
//   cycle 1: ROM word {c2, c1, c0} read at addr (synchronous ROM)
//   cycle 2: m1 = c1 t, m2 = c2 t^2 (fixed-width signed multipliers)
//   cycle 3: y = +-(c0 + round(m1 / 2^A1) + round(m2 / 2^A2))
//
// Contract: y approximates +-f(x) at frac 36, where x is the segment's
// midpoint plus t steps; the error bound of each table is derived in
// gen_tables.py (error_bound) and docs/hardware.md.  Each shifted term is
// rounded half up (add 2^(A-1), shift right arithmetically): an error of at
// most 1/2 unit each.
module pq_poly2 #(
    parameter integer TABLE = 0,  // 0: g, 1: sin, 2: sin/10
    parameter integer AW = 11,    // ROM address bits
    parameter integer TW = 10,    // width of the signed offset t
    parameter integer A1 = 20,
    parameter integer A2 = 40,
    parameter integer CW = 48,
    parameter integer OW = 40     // width of y
) (
    input  wire                 clk,
    input  wire [AW-1:0]        addr,
    input  wire signed [TW-1:0] t,
    input  wire                 neg,
    output reg  signed [OW-1:0] y
);
    localparam integer M1W = CW + TW;
    localparam integer M2W = CW + 2 * TW;

    wire [3*CW-1:0] word;
    generate
        if (TABLE == 0) begin : g_rom
            pq_rom_g rom (.clk(clk), .addr(addr), .data(word));
        end else if (TABLE == 1) begin : sin_rom
            pq_rom_sin rom (.clk(clk), .addr(addr), .data(word));
        end else begin : sin10_rom
            pq_rom_sin10 rom (.clk(clk), .addr(addr), .data(word));
        end
    endgenerate

    reg signed [TW-1:0] t1;
    reg                 neg1, neg2;
    always @(posedge clk) begin
        t1 <= t;
        neg1 <= neg;
    end

    wire signed [CW-1:0] c0 = word[CW-1:0];
    wire signed [CW-1:0] c1 = word[2*CW-1:CW];
    wire signed [CW-1:0] c2 = word[3*CW-1:2*CW];

    reg signed [M1W-1:0] m1;
    reg signed [M2W-1:0] m2;
    reg signed [CW-1:0]  c0_2;
    always @(posedge clk) begin
        m1 <= c1 * t1;
        m2 <= c2 * t1 * t1;
        c0_2 <= c0;
        neg2 <= neg1;
    end

    wire signed [M1W-1:0] one1 = 1;
    wire signed [M2W-1:0] one2 = 1;
    wire signed [M1W-1:0] r1 = (m1 + (one1 <<< (A1 - 1))) >>> A1;
    wire signed [M2W-1:0] r2 = (m2 + (one2 <<< (A2 - 1))) >>> A2;
    // the sum at the widest term's width, sign-extended explicitly
    wire signed [M2W-1:0] sum = {{(M2W-CW){c0_2[CW-1]}}, c0_2}
                                + {{(M2W-M1W){r1[M1W-1]}}, r1} + r2;
    /* verilator lint_off UNUSEDSIGNAL */  // bits above OW: zero or sign
    wire signed [M2W-1:0] neg_sum = -sum;
    /* verilator lint_on UNUSEDSIGNAL */
    always @(posedge clk)
        y <= neg2 ? neg_sum[OW-1:0] : sum[OW-1:0];
endmodule
