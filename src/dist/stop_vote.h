// Whether any rank of the job was asked to stop (Ctrl-C, SIGTERM), and with which signal:
// every rank must leave the training loop at the same step (the others would wait in the next
// collective) and exit with the same code, so the ranks sum their votes. The vote rides in a
// step's last gradient all-reduce when there is one (dist/gradient_reducer.h), saving the loop
// a collective of its own.
#pragma once

#include <optional>

namespace gen {

// A vote is this many floats, summed over the ranks.
constexpr int kStopVoteSize = 2;
// This rank's vote: whether it got SIGINT, whether it got SIGTERM (util/interrupt.h).
void write_stop_vote(float* vote);
// The signal the whole job stops with, from the summed votes: SIGTERM if any rank got one (a
// scheduler ending the job), else SIGINT if any did, else 0 (go on).
int agreed_stop_signal(const float* sums);

// Called with the agreed signal of a vote carried in a gradient all-reduce.
void record_stop_vote(int signal);
// The vote recorded since the last call, if any (then forgotten). Every rank makes the same
// collectives in the same order, so every rank gets the same answer here.
std::optional<int> take_stop_vote();

}  // namespace gen
