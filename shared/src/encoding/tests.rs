use super::*;

const CONV3_SKIP: &str =
    "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|";

fn nb201(s: &str) -> Arch {
    SpaceId::Nb201.parse_arch(s).unwrap()
}

#[test]
fn names_round_trip_and_unknown_names_are_listed() {
    for e in Encoding::ALL {
        assert_eq!(e.name().parse::<Encoding>().unwrap(), e);
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            format!("\"{}\"", e.name())
        );
    }
    let err = "onehot".parse::<Encoding>().unwrap_err().to_string();
    assert!(err.contains("onehot") && err.contains("onehot-v1"), "{err}");
}

#[test]
fn every_encoding_has_its_declared_length() {
    let fb = SpaceId::Fbnet.parse_arch(&["k3_e6"; 22].join("-")).unwrap();
    for e in Encoding::ALL {
        assert_eq!(
            e.encode(&nb201(CONV3_SKIP)).unwrap().len(),
            e.dim(SpaceId::Nb201)
        );
        assert_eq!(e.encode(&fb).unwrap().len(), e.dim(SpaceId::Fbnet));
    }
    assert_eq!(Encoding::OneHotV1.dim(SpaceId::Nb201), 30);
    assert_eq!(Encoding::GraphV1.dim(SpaceId::Nb201), 8 * 8 + 8 * 7);
    assert_eq!(Encoding::OneHotV1.dim(SpaceId::Fbnet), 22 * 9);
}

#[test]
fn onehot_marks_one_op_per_edge() {
    let v = Encoding::OneHotV1.encode(&nb201(CONV3_SKIP)).unwrap();
    // Op order: none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3.
    let hot: Vec<usize> = v
        .iter()
        .enumerate()
        .filter(|(_, &x)| x == 1.0)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(hot, [3, 5 + 1, 10, 15 + 4, 20 + 2, 25 + 3]);
}

#[test]
fn graph_marks_node_types_and_cell_edges() {
    let g = graph_v1(&nb201(CONV3_SKIP));
    // Node 1 is edge 1<-0 (nor_conv_3x3, vocabulary index 2 + 3 = 5).
    assert_eq!(g.node_types[g.vocabulary + 5], 1.0);
    // Edge op 1<-0 (node 1) feeds the edge ops leaving node 1: 2<-1 (node 3)
    // and 3<-1 (node 5); the input feeds the three edges leaving node 0.
    let adj = |i: usize, j: usize| g.adjacency[i * g.nodes + j];
    assert_eq!((adj(1, 3), adj(1, 5), adj(1, 2)), (1.0, 1.0, 0.0));
    assert_eq!((adj(0, 1), adj(0, 2), adj(0, 4)), (1.0, 1.0, 1.0));
    // Edges into node 3 (graph nodes 4, 5, 6) feed the output (node 7).
    assert_eq!(
        (adj(4, 7), adj(5, 7), adj(6, 7), adj(1, 7)),
        (1.0, 1.0, 1.0, 0.0)
    );
}

#[test]
fn features_follow_cost_features() {
    let none = nb201("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|");
    let v = features_v1(&none).unwrap();
    let names = feature_names();
    assert_eq!(v.len(), names.len());
    let get = |name: &str| v[names.iter().position(|n| n == name).unwrap()];
    assert!((get("ln1p_params") - (73_306f64).ln_1p() as f32).abs() < 1e-5);
    // The all-none cell keeps no convolution, so its only 3x3/1x1 convs are
    // the stem (1) and the two reduction blocks (3 each).
    assert_eq!(get("count_conv"), 7.0);
    // Deterministic.
    assert_eq!(v, features_v1(&none).unwrap());
}

/// Choices for `n` pseudo-random architectures of `space` (splitmix64: no
/// dependency, the same every run).
fn random_choices(space: SpaceId, n: usize, seed: u64) -> Vec<Vec<usize>> {
    let layout = space.layout();
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    (0..n)
        .map(|_| {
            (0..layout.positions.len())
                .map(|_| (next() % layout.choices.len() as u64) as usize)
                .collect()
        })
        .collect()
}

/// f32 values equal to rounding: the graph's `ln(1 + x)` against
/// `ln_1p(x)`.
fn assert_same_encoding(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (j, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 2e-7 * w.abs().max(1.0),
            "{what}, value {j}: tables give {g}, the encoding {w}"
        );
    }
}

#[test]
fn choice_tables_give_every_encoding_they_support() {
    for space in SpaceId::ALL {
        // Every position at every choice at least once, then random ones.
        let k = space.layout().choices.len();
        let positions = space.layout().positions.len();
        let mut all = (0..k).map(|c| vec![c; positions]).collect::<Vec<_>>();
        all.extend(random_choices(space, 400, 7));
        for encoding in Encoding::ALL {
            let tables = match ChoiceTables::of(space, encoding) {
                Ok(t) => t,
                Err(e) => {
                    assert_eq!((space, encoding), (SpaceId::Fbnet, Encoding::GraphV1));
                    assert!(e.to_string().contains("graph-v1"), "{e}");
                    continue;
                }
            };
            assert_eq!(tables.width(positions), encoding.dim(space));
            for choices in &all {
                let arch = space.compose(choices).unwrap();
                assert_same_encoding(
                    &format!("{encoding} of {arch}"),
                    &tables.encode(choices),
                    &encoding.encode(&arch).unwrap(),
                );
            }
        }
    }
}

#[test]
fn nb201_code_weights_give_the_canonical_code() {
    for choices in random_choices(SpaceId::Nb201, 50, 3) {
        let code: i64 = choices
            .iter()
            .zip(ChoiceTables::code_weights())
            .map(|(&c, w)| c as i64 * w)
            .sum();
        let arch = SpaceId::Nb201.compose(&choices).unwrap();
        assert_eq!(Some(code as usize), arch.canonical_code());
    }
}
