// tb_vectors: pq_rbe_decoder checked against `poincare-q64 gen` vector files,
// in plain Verilog-2005 ($fgets / $sscanf), with no model in the loop.
//
//   +hash=FILE    `poincare-q64 gen spatial_hash ...`:  i j => H
//                 (out_hash must equal H)
//   +seed64=FILE  `poincare-q64 gen seed64 --frac 62 ...`:  word i j eps => X
//                 (|out_f 2^32 - X| <= PQ_BOUND62; vectors with eps, basis,
//                 d_r or log2_c not 0, or an overflow result, are counted
//                 as skipped)
//
// One vector per clock; expected values wait in a ring buffer for the
// decoder's output.  Prints each mismatch (at most 20) as
// `<inputs> => <got> expected: <expected>`, then
// "N tests passed, M failure(s)" and "K vector(s) skipped"; any failure ends
// the run with $fatal.
module tb_vectors;
    parameter integer DEFECT = 0;
`include "pq_params.vh"

    reg         clk = 1'b0;
    reg         rst = 1'b1;
    reg         in_valid = 1'b0;
    reg  [63:0] in_seed = 64'd0;
    reg  [31:0] in_i = 32'd0, in_j = 32'd0;
    wire        out_valid, out_unsupported;
    wire [31:0] out_hash;
    wire signed [31:0] out_f;

    pq_rbe_decoder #(.DEFECT(DEFECT)) dut (
        .clk(clk), .rst(rst), .in_valid(in_valid), .in_seed(in_seed), .in_i(in_i),
        .in_j(in_j), .out_valid(out_valid), .out_hash(out_hash), .out_f(out_f),
        .out_unsupported(out_unsupported));

    always #5 clk = ~clk;

    // ring buffer of expected results; kind 0: hash only, 1: hash and f
    reg  [63:0] rb_word [0:255];
    reg  [31:0] rb_i [0:255], rb_j [0:255], rb_h [0:255];
    reg  [63:0] rb_x [0:255];
    reg         rb_kind [0:255];
    reg  [7:0]  wr = 8'd0, rd = 8'd0;
    integer     passed = 0, failed = 0, skipped = 0, outstanding = 0;

    reg  [8*256-1:0] line;
    reg  [63:0] w, x, eps;
    reg  [31:0] vi, vj, vh;
    reg signed [63:0] err;
    reg  [8*1024-1:0] path;
    integer fd, code;

    // check one output at the falling edge (outputs change at the rising one)
    task check_output;
        begin
            if (out_valid) begin
                err = ($signed({{32{out_f[31]}}, out_f}) <<< 32) - $signed(rb_x[rd]);
                if (rb_kind[rd] == 1'b0 ? out_hash == rb_h[rd]
                        : !out_unsupported && err <= $signed(PQ_BOUND62)
                          && -err <= $signed(PQ_BOUND62)) begin
                    passed = passed + 1;
                end else begin
                    failed = failed + 1;
                    if (failed <= 20) begin
                        if (rb_kind[rd] == 1'b0)
                            $display("spatial_hash %08h %08h => %08h expected: %08h",
                                     rb_i[rd], rb_j[rd], out_hash, rb_h[rd]);
                        else
                            $display("seed64 %016h %08h %08h => f %08h expected: %016h/2^32 within %0.4f ulp",
                                     rb_word[rd], rb_i[rd], rb_j[rd], out_f, rb_x[rd],
                                     $itor(PQ_BOUND62) / 4294967296.0);
                    end
                end
                rd = rd + 8'd1;
                outstanding = outstanding - 1;
            end
        end
    endtask

    // drive one transaction for the next rising edge and remember what it expects
    task push(input [63:0] word, input [31:0] i, input [31:0] j, input [31:0] h,
              input [63:0] x62, input kind);
        begin
            rb_word[wr] = word; rb_i[wr] = i; rb_j[wr] = j; rb_h[wr] = h;
            rb_x[wr] = x62; rb_kind[wr] = kind;
            wr = wr + 8'd1;
            outstanding = outstanding + 1;
            in_valid = 1'b1; in_seed = word; in_i = i; in_j = j;
            @(negedge clk);
            check_output;
        end
    endtask

    initial begin
        repeat (3) @(negedge clk);
        rst = 1'b0;
        if ($value$plusargs("hash=%s", path)) begin
            fd = $fopen(path, "r");
            if (fd == 0) $fatal(1, "cannot open %0s", path);
            while (!$feof(fd)) begin
                code = $fgets(line, fd);
                // header and comment lines start with '#': %h matches nothing
                if (code > 0 && $sscanf(line, "%h %h => %h", vi, vj, vh) == 3)
                    push(64'd0, vi, vj, vh, 64'd0, 1'b0);
            end
            $fclose(fd);
        end
        if ($value$plusargs("seed64=%s", path)) begin
            fd = $fopen(path, "r");
            if (fd == 0) $fatal(1, "cannot open %0s", path);
            while (!$feof(fd)) begin
                code = $fgets(line, fd);
                if (code > 0) code = $sscanf(line, "%h %h %h %h => %h", w, vi, vj, eps, x);
                // 4: the inputs, with "overflow" for a result (an option makes |f| >= 2)
                if (code == 4 || (code == 5 && (eps != 64'd0 || w[19:16] != 4'd0 || w[13]
                                                || w[8:6] != 3'd0)))
                    skipped = skipped + 1;
                else if (code == 5)
                    push(w, vi, vj, 32'd0, x, 1'b1);
            end
            $fclose(fd);
        end
        in_valid = 1'b0;
        while (outstanding > 0) begin
            @(negedge clk);
            check_output;
        end
        $display("%0d tests passed, %0d failure(s)", passed, failed);
        $display("%0d vector(s) skipped (options the decoder does not implement)", skipped);
        if (failed != 0) $fatal(1, "%0d failure(s)", failed);
        $finish;
    end
endmodule
