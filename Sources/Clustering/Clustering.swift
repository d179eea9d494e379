// Clustering: k-means, the Deep Embedded Clustering objective, clustering metrics (Hungarian accuracy, NMI, ARI,
// confusion matrix, mononuclear/polymorphonuclear accuracy) and t-SNE.
//
// Every matrix here is a plain row-major `[Float]` with its sizes passed explicitly (`n` rows of `d` values), so the
// module stands on its own below the compute core. Every random draw comes from a `SeededGenerator`.
import Determinism
