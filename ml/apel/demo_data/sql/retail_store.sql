-- Assay APEL demo database "retail_store": an outdoor-gear shop's customers, products, orders and order lines.
-- Written for Assay; every customer, product and number here is fictional.

CREATE TABLE customer (
    customer_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    city TEXT NOT NULL,
    signup_date TEXT NOT NULL,
    loyalty_points INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE product (
    product_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL,
    unit_price REAL NOT NULL,
    stock_quantity INTEGER NOT NULL,
    supplier TEXT,
    is_discontinued INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sales_order (
    order_id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    order_date TEXT NOT NULL,
    status TEXT NOT NULL,
    shipping_fee REAL,
    FOREIGN KEY (customer_id) REFERENCES customer (customer_id)
);

CREATE TABLE order_item (
    order_id INTEGER NOT NULL,
    product_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    PRIMARY KEY (order_id, product_id),
    FOREIGN KEY (order_id) REFERENCES sales_order (order_id),
    FOREIGN KEY (product_id) REFERENCES product (product_id)
);

INSERT INTO customer (customer_id, name, email, city, signup_date, loyalty_points) VALUES
    (1, 'Abigail Turner', 'abigail.turner@example.com', 'Fairview', '2021-04-03', 1200),
    (2, 'Bruno Costa', 'bruno.costa@example.com', 'Fairview', '2021-08-19', 450),
    (3, 'Camille Dubois', 'camille.dubois@example.com', 'Westport', '2022-01-07', 980),
    (4, 'Darius Khan', 'darius.khan@example.com', 'Westport', '2022-03-15', 0),
    (5, 'Elena Popescu', 'elena.popescu@example.com', 'Northfield', '2022-06-30', 450),
    (6, 'Frank Osei', 'frank.osei@example.com', 'Fairview', '2022-11-11', 2300),
    (7, 'Gina Russo', 'gina.russo@example.com', 'Northfield', '2023-02-02', 150),
    (8, 'Hiro Yamada', 'hiro.yamada@example.com', 'Westport', '2023-05-21', 760),
    (9, 'Isla McKenzie', 'isla.mckenzie@example.com', 'Northfield', '2023-09-09', 0),
    (10, 'Jonas Berg', 'jonas.berg@example.com', 'Fairview', '2024-01-14', 90);

INSERT INTO product (product_id, name, category, unit_price, stock_quantity, supplier, is_discontinued) VALUES
    (1, 'Trail Running Shoes', 'Footwear', 89.99, 40, 'Stridewell', 0),
    (2, 'Rain Shell Jacket', 'Apparel', 129.0, 15, 'Northline', 0),
    (3, 'Merino Wool Socks', 'Apparel', 14.5, 200, 'Northline', 0),
    (4, 'Insulated Water Bottle', 'Accessories', 24.0, 120, NULL, 0),
    (5, 'Daypack 22L', 'Bags', 59.0, 35, 'Packworks', 0),
    (6, 'Headlamp 300', 'Accessories', 34.0, 60, 'Brightpath', 0),
    (7, 'Hiking Boots', 'Footwear', 149.0, 22, 'Stridewell', 0),
    (8, 'Fleece Pullover', 'Apparel', 59.0, 48, 'Northline', 0),
    (9, 'Camp Stove', 'Camping', 74.5, 18, 'Emberline', 0),
    (10, 'Two-Person Tent', 'Camping', 219.0, 9, 'Emberline', 0),
    (11, 'Trekking Poles', 'Accessories', 49.0, 30, NULL, 0),
    (12, 'Sleeping Bag', 'Camping', 139.0, 0, 'Emberline', 1),
    (13, 'Sun Hat', 'Apparel', 24.0, 75, NULL, 0),
    (14, 'Duffel Bag 60L', 'Bags', 89.99, 12, 'Packworks', 0);

INSERT INTO sales_order (order_id, customer_id, order_date, status, shipping_fee) VALUES
    (1, 1, '2023-01-12', 'delivered', 5.0),
    (2, 2, '2023-01-30', 'delivered', 5.0),
    (3, 3, '2023-02-14', 'delivered', 0.0),
    (4, 1, '2023-03-03', 'delivered', 5.0),
    (5, 5, '2023-03-27', 'cancelled', NULL),
    (6, 6, '2023-04-18', 'delivered', 0.0),
    (7, 4, '2023-05-09', 'delivered', 7.5),
    (8, 3, '2023-06-01', 'delivered', 0.0),
    (9, 7, '2023-06-22', 'delivered', 7.5),
    (10, 6, '2023-07-15', 'delivered', 0.0),
    (11, 8, '2023-08-08', 'delivered', 5.0),
    (12, 2, '2023-09-19', 'cancelled', NULL),
    (13, 6, '2023-10-30', 'delivered', 0.0),
    (14, 9, '2023-11-24', 'delivered', 7.5),
    (15, 1, '2023-12-05', 'shipped', 5.0),
    (16, 8, '2024-01-17', 'shipped', 5.0),
    (17, 5, '2024-02-06', 'shipped', 7.5),
    (18, 6, '2024-02-28', 'pending', NULL),
    (19, 3, '2024-03-11', 'pending', NULL),
    (20, 4, '2024-03-14', 'pending', NULL);

INSERT INTO order_item (order_id, product_id, quantity) VALUES
    (1, 1, 1),
    (1, 3, 3),
    (2, 4, 2),
    (3, 2, 1),
    (3, 8, 1),
    (4, 6, 1),
    (4, 4, 1),
    (5, 10, 1),
    (6, 7, 1),
    (6, 3, 2),
    (6, 11, 1),
    (7, 5, 1),
    (8, 9, 1),
    (8, 12, 1),
    (9, 13, 2),
    (10, 10, 1),
    (10, 12, 2),
    (11, 1, 1),
    (11, 6, 2),
    (12, 2, 1),
    (13, 3, 4),
    (13, 8, 1),
    (14, 4, 1),
    (14, 13, 1),
    (15, 7, 1),
    (16, 5, 1),
    (16, 11, 2),
    (17, 1, 1),
    (17, 3, 2),
    (18, 9, 1),
    (19, 6, 1),
    (19, 4, 3),
    (20, 2, 1);
