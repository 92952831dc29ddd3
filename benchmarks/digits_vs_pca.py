"""The digits figures quoted in the README: the autoencoder's defaults against PCA.

    python benchmarks/digits_vs_pca.py

Scikit-learn's digits scaled to [0, 1], a 70/30 split with random_state=0:
test MSE of PCA(10) and of AutoencoderTransformer(z_dim=10) on flat rows and
with image_shape=(8, 8); then the 3-fold accuracy of
MinMaxScaler -> reducer -> LogisticRegression for both. ``--quick`` trains
for two epochs on 300 digits, as the smoke test does.
"""

import argparse
import time

from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skae import AutoencoderTransformer
from skae.metrics import reconstruction_error


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    X, y = load_digits(return_X_y=True)
    epochs = 100
    if args.quick:
        X, y, epochs = X[:300], y[:300], 2
    X_train, X_test = train_test_split(X / 16, test_size=0.3, random_state=0)
    reducers = {
        "PCA(10)": lambda: PCA(10),
        "autoencoder, flat rows": lambda: AutoencoderTransformer(
            10, epochs=epochs, random_state=0
        ),
        "autoencoder, image_shape=(8, 8)": lambda: AutoencoderTransformer(
            10, image_shape=(8, 8), epochs=epochs, random_state=0
        ),
    }
    print("| reducer | test MSE | fit s | 3-fold accuracy in a pipeline |")
    print("| --- | --- | --- | --- |")
    for name, make in reducers.items():
        start = time.perf_counter()
        model = make().fit(X_train)
        seconds = time.perf_counter() - start
        pipe = make_pipeline(MinMaxScaler(), make(), LogisticRegression(max_iter=1000))
        accuracy = cross_val_score(pipe, X, y, cv=3).mean()
        error = reconstruction_error(model, X_test)
        print(f"| {name} | {error:.4f} | {seconds:.1f} | {accuracy:.3f} |", flush=True)


if __name__ == "__main__":
    main()
