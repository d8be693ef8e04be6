// tb_dpi: pq_rbe_decoder checked against the poincare_q64 C kernels through
// DPI-C (pq_dpi.c), with no Python in the loop.
//
// Transactions, one per clock: every g segment (its first, middle and last
// radius), every sine segment boundary in each quadrant, then random seeds
// and index pairs, +n=N in all (default 20000), +seed=S for $urandom.
// Scoreboard: the hash exactly equal to pq_spatial_hash, and
// |out_f 2^32 - round(f 2^62)| <= PQ_BOUND62 (the decoder's derived bound,
// pq_params.vh).  Each mismatch prints as
//   seed64 <word> <i> <j> => <got> expected: <expected>
// (at most 20), then "N tests passed, M failure(s)"; any failure ends the
// run with $fatal (a non-zero exit status).
module tb_dpi #(
    parameter integer DEFECT = 0
);
`include "pq_params.vh"

    import "DPI-C" function int pq_dpi_rbe62(input longint unsigned R, input longint unsigned T,
                                             input int unsigned i, input int unsigned j,
                                             input int rot, input int d_theta,
                                             output longint x);
    import "DPI-C" function int unsigned pq_dpi_spatial_hash(input int unsigned i,
                                                             input int unsigned j);
    import "DPI-C" function real pq_dpi_model_seconds();

    logic        clk = 1'b0;
    logic        rst = 1'b1;
    logic        in_valid = 1'b0;
    logic [63:0] in_seed = 64'd0;
    logic [31:0] in_i = 32'd0, in_j = 32'd0;
    wire         out_valid, out_unsupported;
    wire  [31:0] out_hash;
    wire  signed [31:0] out_f;

    pq_rbe_decoder #(.DEFECT(DEFECT)) dut (
        .clk(clk), .rst(rst), .in_valid(in_valid), .in_seed(in_seed), .in_i(in_i),
        .in_j(in_j), .out_valid(out_valid), .out_hash(out_hash), .out_f(out_f),
        .out_unsupported(out_unsupported));

    always #5 clk = ~clk;

    // expected results, in issue order
    longint unsigned q_word[$];
    int unsigned     q_i[$], q_j[$], q_hash[$];
    longint          q_x62[$];

    int n = 20000;
    int seed = 1;
    int issued = 0, checked = 0, passed = 0, failed = 0;
    longint max_err = 0;                 // the largest |error| seen, frac 62

    function automatic longint unsigned make_word(int unsigned r, int unsigned theta,
                                                  int unsigned rot, int unsigned d_theta);
        // r:20 | theta:24 | basis:4 | d_theta:2 | d_r:1 | rot:4 | log2_c:3 | reserved:6
        return {r[19:0], theta[23:0], 4'd0, d_theta[1:0], 1'b0, rot[3:0], 3'd0, 6'd0};
    endfunction

    // the k-th transaction's seed word
    function automatic longint unsigned stimulus(int k);
        int unsigned r, theta, seg, u;
        if (k < 3 * 2048) begin                  // g: segment k/3 at t = -256, 0, 255
            seg = k / 3;
            r = (seg << 9) | ((k % 3 == 0) ? 0 : (k % 3 == 1) ? 256 : 511);
            return make_word(r, 32'h400000, 0, 0);
        end
        k -= 3 * 2048;
        if (k < 4 * 2048) begin                  // sin: each boundary, each quadrant
            u = (k / 4) << 11;
            theta = ((k % 4) << 22) | u;
            return make_word(32'hC0000, theta, 0, 0);
        end
        return make_word($urandom, $urandom, $urandom % 16, $urandom % 4);
    endfunction

    task automatic issue(int k);
        longint unsigned w;
        int unsigned i, j, h, rot, d_theta;
        longint x;
        int status;
        w = stimulus(k);
        i = $urandom;
        j = (k % 4 == 0) ? $urandom % 1024 : $urandom;
        rot = int'(w[12:9]);
        d_theta = int'(w[15:14]);
        status = pq_dpi_rbe62({w[63:44], 44'd0}, {w[43:20], 40'd0}, i, j, rot, d_theta, x);
        if (status != 0) $fatal(1, "pq_rbe returned status %0d", status);
        h = pq_dpi_spatial_hash(i, j);
        q_word.push_back(w);
        q_i.push_back(i);
        q_j.push_back(j);
        q_hash.push_back(h);
        q_x62.push_back(x);
        in_valid = 1'b1;
        in_seed = w;
        in_i = i;
        in_j = j;
    endtask

    task automatic check();
        longint unsigned w;
        int unsigned i, j, h;
        longint x, err;
        logic ok;
        w = q_word.pop_front();
        i = q_i.pop_front();
        j = q_j.pop_front();
        h = q_hash.pop_front();
        x = q_x62.pop_front();
        err = ($signed({{32{out_f[31]}}, out_f}) <<< 32) - x;
        ok = (out_hash == h) && !out_unsupported
             && (err <= $signed(PQ_BOUND62)) && (-err <= $signed(PQ_BOUND62));
        checked++;
        if (err > max_err) max_err = err;
        if (-err > max_err) max_err = -err;
        if (ok) passed++;
        else begin
            failed++;
            if (failed <= 20)
                $display("seed64 %016h %08h %08h => hash %08h f %08h (%0.4f ulp) expected: hash %08h f %016h/2^32 within %0.4f ulp",
                         w, i, j, out_hash, out_f, $itor(err) / 4294967296.0, h, x,
                         $itor(PQ_BOUND62) / 4294967296.0);
        end
    endtask

    initial begin
        void'($value$plusargs("n=%d", n));
        void'($value$plusargs("seed=%d", seed));
        void'($urandom(seed));
        repeat (3) @(negedge clk);
        rst = 1'b0;
        // outputs change at the rising edge: sample and drive at the falling one
        while (checked < n) begin
            @(negedge clk);
            if (out_valid) check();
            if (issued < n) begin
                issue(issued);
                issued++;
            end else
                in_valid = 1'b0;
        end
        $display("max |error| %0.4f ulp of Q2.30 (bound %0.4f)", $itor(max_err) / 4294967296.0,
                 $itor(PQ_BOUND62) / 4294967296.0);
        $display("golden model (DPI-C) %0.3f s", pq_dpi_model_seconds());
        $display("%0d tests passed, %0d failure(s)", passed, failed);
        if (failed != 0) $fatal(1, "%0d failure(s)", failed);
        $finish;
    end
endmodule
