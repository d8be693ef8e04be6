// pq_murmur3: MurmurHash3_x86_32 of LE32(i) || LE32(j), seed 0 (the
// package's spatial_hash), exactly, in four pipeline stages.
//
//   cycle 1: k_i, k_j = rotl(k * c1, 15) * c2 for both 4-byte blocks
//   cycle 2: h = rotl(rotl(k_i, 13) * 5 + n ^ k_j, 13) * 5 + n, h ^= 8 (length)
//   cycle 3: fmix32, first half: h ^= h >> 16; h *= 0x85ebca6b
//   cycle 4: fmix32, second half: h ^= h >> 13; h *= 0xc2b2ae35; h ^= h >> 16
//
// All products are the low 32 bits (arithmetic mod 2^32), as in the
// reference algorithm; the blocks are the indices themselves because
// LE32(x) read back as a little-endian word is x.  DEFECT = 2 leaves out the
// length mixing (a defect every hash comparison catches).
module pq_murmur3 #(
    parameter integer DEFECT = 0
) (
    input  wire        clk,
    input  wire [31:0] i,
    input  wire [31:0] j,
    output reg  [31:0] h
);
    localparam [31:0] C1 = 32'hcc9e2d51;
    localparam [31:0] C2 = 32'h1b873593;
    localparam [31:0] N  = 32'he6546b64;

    function [31:0] rotl(input [31:0] x, input integer n);
        rotl = (x << n) | (x >> (32 - n));
    endfunction

    function [31:0] mix_k(input [31:0] k);
        reg [31:0] a;
        begin
            a = k * C1;
            mix_k = rotl(a, 15) * C2;
        end
    endfunction

    reg [31:0] ki, kj, h2, h3;
    reg [31:0] a2, a3;
    always @(posedge clk) begin
        ki <= mix_k(i);
        kj <= mix_k(j);
    end

    always @(*) begin
        a2 = (rotl(ki, 13) * 5 + N) ^ kj;           // h = 0 ^ k_i, then block j
        a2 = rotl(a2, 13) * 5 + N;
        if (DEFECT != 2)
            a2 = a2 ^ 32'd8;
    end
    always @(posedge clk) h2 <= a2;

    always @(*) begin
        a3 = h2 ^ (h2 >> 16);
        a3 = a3 * 32'h85ebca6b;
    end
    always @(posedge clk) h3 <= a3;

    reg [31:0] a4;
    always @(*) begin
        a4 = h3 ^ (h3 >> 13);
        a4 = a4 * 32'hc2b2ae35;
        a4 = a4 ^ (a4 >> 16);
    end
    always @(posedge clk) h <= a4;
endmodule
