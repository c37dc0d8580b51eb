// Held-out metrics of a binary classifier from predicted probabilities and 0/1 labels.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace fleetgate::learning {

struct BinaryMetrics {
  size_t examples = 0;
  size_t positives = 0;
  // Area under the ROC curve by ranks (Mann-Whitney U, ties get their average rank);
  // nullopt when the labels hold only one class.
  std::optional<double> auc;
  double accuracy = 0;  // share of examples whose (probability >= 0.5) matches the label
  double log_loss = 0;  // mean binary cross-entropy, probabilities clamped to [1e-7, 1 - 1e-7]
  bool operator==(const BinaryMetrics&) const = default;
};

// REQUIRES: probabilities.size() == labels.size(); labels are 0 or 1. Empty input gives zeros.
BinaryMetrics binary_metrics(const std::vector<float>& probabilities, const std::vector<float>& labels);

}  // namespace fleetgate::learning
